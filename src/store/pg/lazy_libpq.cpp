// libpq's functions as trampolines into libpq.so.5, loaded at the first call (see
// ops/lazy_library.h for why and how): a SQLite-only serve no longer maps libpq and what it
// pulls in. Each definition has libpq-fe.h's prototype, so the compiler checks it against
// the header. Add a trampoline for each libpq function pg_database.cpp starts to call.
#include <libpq-fe.h>

#include "ops/lazy_library.h"

namespace {

hypersdk::ops::LazyLibrary libpq("libpq.so.5", "libpq5");

#define HYPERSDK_REAL(name) \
  static const auto real = reinterpret_cast<decltype(&::name)>(libpq.need(#name))

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

}  // extern "C"
