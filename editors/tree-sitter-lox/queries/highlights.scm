; Highlights of Lox with Brine's extensions.
;
; When several patterns capture the same node, the LAST one here wins (as
; in tree-sitter-highlight 0.25 and later, and in Neovim), so the general
; patterns come first and the specific ones after them.

; Names

(identifier) @variable

(property_expression property: (identifier) @property)

; Calls

(call_expression function: (identifier) @function)

(call_expression
  function: (property_expression property: (identifier) @function.method))

; The natives of crates/brine-runtime/src/natives.rs (the test checks the
; list against it), and Brine's own globals.
((identifier) @function.builtin
  (#any-of? @function.builtin
    "clock" "len" "substr" "indexOf" "ord" "chr" "str" "num" "upper" "lower"
    "trim" "split" "args" "floor" "ceil" "round" "sqrt" "abs" "min" "max" "pow"
    "hash" "readLine" "readFile" "writeFile" "eprint" "exit" "getc"
    "print_error" "read" "utf" "printerr"))

((identifier) @type.builtin
  (#any-of? @type.builtin "List" "Map"))

((identifier) @variable.builtin
  (#eq? @variable.builtin "brine"))

; Declarations

(class_declaration name: (identifier) @type)

(superclass (identifier) @type)

(method name: (identifier) @function.method)

(function_declaration name: (identifier) @function)

(parameters (identifier) @variable.parameter)

(super_expression method: (identifier) @function.method)

; `this` and `super`

(this) @variable.builtin

(super_expression "super" @variable.builtin)

; Literals and comments

(string) @string

(number) @number

[(true) (false)] @boolean

(nil) @constant.builtin

(comment) @comment

; Keywords

[
  "class"
  "fun"
  "var"
] @keyword

[
  "for"
  "while"
] @keyword.repeat

[
  "if"
  "else"
] @keyword.conditional

"return" @keyword.return

"print" @keyword

[
  "and"
  "or"
] @keyword.operator

; Operators and punctuation

[
  "="
  "=="
  "!="
  "<"
  "<="
  ">"
  ">="
  "+"
  "-"
  "*"
  "/"
  "%"
  "!"
] @operator

[
  "("
  ")"
  "["
  "]"
  "{"
  "}"
] @punctuation.bracket

[
  ","
  "."
  ";"
] @punctuation.delimiter
