// The value lines of a template (sessions/template_values.h): what the workbench's template form
// and `mote dataset add --values` read.
#include <catch2/catch.hpp>

#include "sessions/session_error.h"
#include "sessions/template_values.h"

using namespace mote::sessions;

TEST_CASE("template value lines: named and bare lines, trimmed values", "[dataset][template]") {
  const auto t =
      template_from_lines("What happened {time} {place}?",
                          "place: in Beijing, at Heathrow, in Paris\n\n in 1989, in 2001 ");
  REQUIRE(t.variables.size() == 2);
  CHECK(t.variables[0].name == "place");
  CHECK(t.variables[1].name == "time");  // the bare line: the first placeholder without a line
  CHECK(t.variables[1].values.size() == 2);
  CHECK(t.variables[1].values[1].text == "in 2001");
  const auto prompts = expand_template(t);
  REQUIRE(prompts.size() == 6);
  // Lines in the order given: place varies slowest.
  CHECK(prompts[0].text == "What happened in 1989 in Beijing?");
  CHECK(prompts[1].text == "What happened in 2001 in Beijing?");
  // A colon inside a value is no variable name; "\," is a literal comma.
  const auto clock = template_from_lines("Meet {when}", "at 10:30, noon\\, sharp");
  REQUIRE(clock.variables.size() == 1);
  CHECK(clock.variables[0].values[0].text == "at 10:30");
  CHECK(clock.variables[0].values[1].text == "noon, sharp");
}

TEST_CASE("template value lines: every wrong line is an error naming it", "[dataset][template]") {
  const std::string who = "Who is {x} in {y}?";
  // Issue #19: this was 2 prompts "Who is a in z: q?".
  REQUIRE_THROWS_WITH(template_from_lines(who, "x: a, b\nz: q"),
                      Catch::Contains("values line 2 \"z: q\"") &&
                          Catch::Contains("no placeholder {z}") && Catch::Contains("{x}, {y}"));
  REQUIRE_THROWS_WITH(template_from_lines(who, "x: a, b"),
                      Catch::Contains("placeholder {y} has no values line"));
  REQUIRE_THROWS_WITH(
      template_from_lines(who, "x: a\nx: b"),
      Catch::Contains("values line 2") && Catch::Contains("{x} has a values line already"));
  REQUIRE_THROWS_WITH(
      template_from_lines(who, "a\nb\nc"),
      Catch::Contains("values line 3 \"c\"") && Catch::Contains("every placeholder"));
  REQUIRE_THROWS_WITH(
      template_from_lines(who, "x:\ny: b"),
      Catch::Contains("values line 1 \"x:\"") && Catch::Contains("\"x\" has no values"));
  REQUIRE_THROWS_WITH(template_from_lines(who, "x: a,, b\ny: c"),
                      Catch::Contains("values line 1") && Catch::Contains("value 2 of 3 is empty"));
  REQUIRE_THROWS_WITH(template_from_lines(who, "x: a,\ny: c"),
                      Catch::Contains("value 2 of 2 is empty"));
  REQUIRE_THROWS_WITH(template_from_lines("Who is {x", "x: a"), Catch::Contains("unclosed"));
}

TEST_CASE("template_placeholders: in order of first use, each once", "[dataset][template]") {
  CHECK(template_placeholders("{b} {a} {b} {{c}}") == std::vector<std::string>{"b", "a"});
  CHECK(template_placeholders("none").empty());
}
