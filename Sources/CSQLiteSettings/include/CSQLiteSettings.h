// SQLite process-wide settings that its variadic sqlite3_config takes (Swift cannot call it).

#ifndef CSQLITESETTINGS_H
#define CSQLITESETTINGS_H

/// Turns off SQLite's memory statistics, which take a process-wide mutex on every allocation
/// SQLite makes. Must run before SQLite is first used; returns SQLite's result code
/// (SQLITE_MISUSE, 21, when it is already initialized).
int ledger_sqlite_disable_memory_statistics(void);

#endif
