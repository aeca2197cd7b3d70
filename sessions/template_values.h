#pragma once
// The values of a template's variables written as text, the one reading shared by
// `mote dataset add --template T --values NAME=a,b` and the workbench's template form (one line
// per placeholder). Every failure is a SessionError naming the variable or the line.
#include <string>

#include "sessions/dataset.h"

namespace mote::sessions {

// A value list "a, b, c": split at commas ("\," is a literal comma, "\\" a backslash), each value
// trimmed of surrounding spaces. A list without values, or an empty value ("a,,b", a trailing
// comma), is an error naming `name`.
TemplateVariable template_variable(const std::string& name, const std::string& list);

// A template and its value lines, one line per placeholder: "name: a, b, c", or a bare "a, b, c"
// for the first placeholder (in order of first use) that has no line yet; blank lines are skipped.
// Errors, each naming the line (1-based) or the placeholder: a line naming a variable the template
// does not have ("z: q" for "Who is {x} in {y}?"), a second line for one placeholder, a bare line
// when every placeholder has one, a line without values or with an empty value, a placeholder
// without a values line, and every error of the template text itself (expand_template).
PromptTemplate template_from_lines(const std::string& template_text, const std::string& lines);

}  // namespace mote::sessions
