// libpq's functions as trampolines into libpq.so.5, loaded at the first call (see
// ops/lazy_library.h for why and how): a SQLite-only serve no longer maps libpq and what it
// pulls in. Each definition has libpq-fe.h's prototype, so the compiler checks it against
// the header. A libpq function called without a trampoline here links libpq again (see
// ops/lazy_library.h): add one.
#include <libpq-fe.h>

#include "ops/lazy_library.h"

namespace {

hypersdk::ops::LazyLibrary libpq("libpq.so.5", "libpq5");

#define HYPERSDK_REAL(name) \
  static const auto real = reinterpret_cast<decltype(&::name)>(libpq.need(#name))
// A plain forward (`return` of a void call is allowed, so it serves void functions too).
#define HYPERSDK_FORWARD(ret, name, params, args) \
  ret name params {                               \
    HYPERSDK_REAL(name);                          \
    return real args;                             \
  }

}  // namespace

extern "C" {

// The entry point: a missing library is a failed connection (PQconnectdb's null means "out
// of memory" to its callers; the reason is on stderr).
PGconn* PQconnectdb(const char* conninfo) {
  static const auto real = reinterpret_cast<decltype(&::PQconnectdb)>(libpq.find("PQconnectdb"));
  return real ? real(conninfo) : nullptr;
}

// The rest take a connection or a result the library created, so it is loaded.
void PQfinish(PGconn* conn) {
  if (conn == nullptr) return;
  HYPERSDK_REAL(PQfinish);
  real(conn);
}
void PQclear(PGresult* res) {
  if (res == nullptr) return;
  HYPERSDK_REAL(PQclear);
  real(res);
}
ConnStatusType PQstatus(const PGconn* conn) {
  HYPERSDK_REAL(PQstatus);
  return real(conn);
}
PGTransactionStatusType PQtransactionStatus(const PGconn* conn) {
  HYPERSDK_REAL(PQtransactionStatus);
  return real(conn);
}
char* PQerrorMessage(const PGconn* conn) {
  HYPERSDK_REAL(PQerrorMessage);
  return real(conn);
}
PQnoticeProcessor PQsetNoticeProcessor(PGconn* conn, PQnoticeProcessor proc, void* arg) {
  HYPERSDK_REAL(PQsetNoticeProcessor);
  return real(conn, proc, arg);
}
PGresult* PQexec(PGconn* conn, const char* query) {
  HYPERSDK_REAL(PQexec);
  return real(conn, query);
}
PGresult* PQexecParams(PGconn* conn, const char* command, int nParams, const Oid* paramTypes,
                       const char* const* paramValues, const int* paramLengths,
                       const int* paramFormats, int resultFormat) {
  HYPERSDK_REAL(PQexecParams);
  return real(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
              resultFormat);
}
ExecStatusType PQresultStatus(const PGresult* res) {
  HYPERSDK_REAL(PQresultStatus);
  return real(res);
}
char* PQresultErrorMessage(const PGresult* res) {
  HYPERSDK_REAL(PQresultErrorMessage);
  return real(res);
}
char* PQresultErrorField(const PGresult* res, int fieldcode) {
  HYPERSDK_REAL(PQresultErrorField);
  return real(res, fieldcode);
}
char* PQcmdTuples(PGresult* res) {
  HYPERSDK_REAL(PQcmdTuples);
  return real(res);
}
int PQntuples(const PGresult* res) {
  HYPERSDK_REAL(PQntuples);
  return real(res);
}
char* PQgetvalue(const PGresult* res, int tup_num, int field_num) {
  HYPERSDK_REAL(PQgetvalue);
  return real(res, tup_num, field_num);
}
int PQgetlength(const PGresult* res, int tup_num, int field_num) {
  HYPERSDK_REAL(PQgetlength);
  return real(res, tup_num, field_num);
}
int PQgetisnull(const PGresult* res, int tup_num, int field_num) {
  HYPERSDK_REAL(PQgetisnull);
  return real(res, tup_num, field_num);
}

// Not called today; here so that the PostgreSQL code can start using them without linking
// libpq again (LISTEN/NOTIFY, COPY, prepared statements, escaping, cancel, pings).
PGconn* PQconnectdbParams(const char* const* keywords, const char* const* values,
                          int expand_dbname) {
  static const auto real =
      reinterpret_cast<decltype(&::PQconnectdbParams)>(libpq.find("PQconnectdbParams"));
  return real ? real(keywords, values, expand_dbname) : nullptr;
}
PGPing PQping(const char* conninfo) {
  static const auto real = reinterpret_cast<decltype(&::PQping)>(libpq.find("PQping"));
  return real ? real(conninfo) : PQPING_NO_ATTEMPT;
}
PGPing PQpingParams(const char* const* keywords, const char* const* values, int expand_dbname) {
  static const auto real = reinterpret_cast<decltype(&::PQpingParams)>(libpq.find("PQpingParams"));
  return real ? real(keywords, values, expand_dbname) : PQPING_NO_ATTEMPT;
}
int PQlibVersion(void) {
  static const auto real = reinterpret_cast<decltype(&::PQlibVersion)>(libpq.find("PQlibVersion"));
  return real ? real() : 0;
}
void PQfreemem(void* ptr) {
  if (ptr == nullptr) return;
  HYPERSDK_REAL(PQfreemem);
  real(ptr);
}
HYPERSDK_FORWARD(char*, PQresStatus, (ExecStatusType status), (status))
HYPERSDK_FORWARD(int, PQsocket, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(int, PQconsumeInput, (PGconn * conn), (conn))
HYPERSDK_FORWARD(PGnotify*, PQnotifies, (PGconn * conn), (conn))
HYPERSDK_FORWARD(int, PQputCopyData, (PGconn * conn, const char* buffer, int nbytes),
                 (conn, buffer, nbytes))
HYPERSDK_FORWARD(int, PQputCopyEnd, (PGconn * conn, const char* errormsg), (conn, errormsg))
HYPERSDK_FORWARD(int, PQgetCopyData, (PGconn * conn, char** buffer, int async),
                 (conn, buffer, async))
HYPERSDK_FORWARD(PGresult*, PQgetResult, (PGconn * conn), (conn))
HYPERSDK_FORWARD(char*, PQescapeLiteral, (PGconn * conn, const char* str, size_t len),
                 (conn, str, len))
HYPERSDK_FORWARD(char*, PQescapeIdentifier, (PGconn * conn, const char* str, size_t len),
                 (conn, str, len))
HYPERSDK_FORWARD(int, PQnfields, (const PGresult* res), (res))
HYPERSDK_FORWARD(char*, PQfname, (const PGresult* res, int field_num), (res, field_num))
HYPERSDK_FORWARD(int, PQfnumber, (const PGresult* res, const char* field_name), (res, field_name))
HYPERSDK_FORWARD(Oid, PQftype, (const PGresult* res, int field_num), (res, field_num))
HYPERSDK_FORWARD(int, PQserverVersion, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(int, PQbackendPID, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(const char*, PQparameterStatus, (const PGconn* conn, const char* paramName),
                 (conn, paramName))
HYPERSDK_FORWARD(char*, PQdb, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(char*, PQhost, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(char*, PQport, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(char*, PQuser, (const PGconn* conn), (conn))
HYPERSDK_FORWARD(void, PQreset, (PGconn * conn), (conn))
HYPERSDK_FORWARD(int, PQsetSingleRowMode, (PGconn * conn), (conn))
HYPERSDK_FORWARD(int, PQsetnonblocking, (PGconn * conn, int arg), (conn, arg))
HYPERSDK_FORWARD(int, PQflush, (PGconn * conn), (conn))
HYPERSDK_FORWARD(int, PQisBusy, (PGconn * conn), (conn))
HYPERSDK_FORWARD(int, PQsendQuery, (PGconn * conn, const char* query), (conn, query))
HYPERSDK_FORWARD(int, PQsendQueryParams,
                 (PGconn * conn, const char* command, int nParams, const Oid* paramTypes,
                  const char* const* paramValues, const int* paramLengths, const int* paramFormats,
                  int resultFormat),
                 (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats,
                  resultFormat))
HYPERSDK_FORWARD(PGresult*, PQprepare,
                 (PGconn * conn, const char* stmtName, const char* query, int nParams,
                  const Oid* paramTypes),
                 (conn, stmtName, query, nParams, paramTypes))
HYPERSDK_FORWARD(PGresult*, PQexecPrepared,
                 (PGconn * conn, const char* stmtName, int nParams, const char* const* paramValues,
                  const int* paramLengths, const int* paramFormats, int resultFormat),
                 (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
HYPERSDK_FORWARD(char*, PQresultVerboseErrorMessage,
                 (const PGresult* res, PGVerbosity verbosity, PGContextVisibility show_context),
                 (res, verbosity, show_context))
HYPERSDK_FORWARD(PGcancel*, PQgetCancel, (PGconn * conn), (conn))
HYPERSDK_FORWARD(void, PQfreeCancel, (PGcancel * cancel), (cancel))
HYPERSDK_FORWARD(int, PQcancel, (PGcancel * cancel, char* errbuf, int errbufsize),
                 (cancel, errbuf, errbufsize))

}  // extern "C"
