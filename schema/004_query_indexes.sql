-- 004_query_indexes: what the query language's common filters need beyond the projections'
-- own keys. A run's steps by run, in stream order (`steps | where run_id == "…"`).

CREATE INDEX steps_by_run ON steps(run_key, position);
