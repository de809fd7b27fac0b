// The test binaries' main: doctest's, plus one rule. ctest runs each TEST_CASE by name
// (doctest_discover_tests), and a name that the filter cannot match (a ';' splits it into two
// ctest entries, a ',' separates filters) would run nothing and pass. So a run in which no
// test case passed the filters fails.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

namespace {

unsigned g_matched = 0;  // test cases that passed the filters in the last run

struct MatchCounter final : doctest::IReporter {
  explicit MatchCounter(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats& s) override {
    g_matched = s.numTestCasesPassingFilters;
  }
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

REGISTER_LISTENER("match-counter", 1, MatchCounter);

}  // namespace

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  const int result = context.run();
  if (context.shouldExit()) return result;  // --list-test-cases and other queries
  if (result == 0 && g_matched == 0) {
    std::fprintf(stderr,
                 "no test case matched the filters: a test name with ';' or ',' cannot be "
                 "selected by name (rename it)\n");
    return 1;
  }
  return result;
}
