#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
// MariaDB Connector/C (libmariadb 3.x) as Debian ships it. Only the MariaDB module imports this.
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#endif
