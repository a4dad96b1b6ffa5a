/**
 * A tree-sitter grammar for Lox with Brine's extensions.
 *
 * The truth is Brine's front end (crates/brine-frontend/src/scanner.rs and
 * parser.rs): jlox's grammar plus the remainder operator `%`, list literals
 * `[a, b,]` (an optional trailing comma), indexing `a[i]` and index
 * assignment `a[i] = v`. Identifiers are ASCII letters, digits and `_`
 * (not `$`, which only the standard library's own scanner accepts); numbers
 * have no leading or trailing `.`; strings have no escapes and may span
 * lines; comments are `//` to the end of the line.
 *
 * As in jlox's grammar, an assignment is an expression of its own, never
 * the operand of an operator: `-a = 1` and `a + b = c` do not parse, and
 * its target is a variable, a property or an index.
 *
 * @file Lox grammar for tree-sitter
 * @license MIT
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// The parser's precedences (binary_op in parser.rs), loosest first.
const PREC = {
  assign: 1,
  or: 2,
  and: 3,
  equality: 4,
  comparison: 5,
  term: 6,
  factor: 7,
  unary: 8,
  call: 9,
};

// The scanner's keywords (`this`, `true`, `false` and `nil` are named
// tokens of their own).
const KEYWORDS = [
  'and', 'class', 'else', 'for', 'fun', 'if', 'or', 'print', 'return', 'super', 'var', 'while',
];

module.exports = grammar({
  name: 'lox',

  // The scanner's whitespace is exactly these four; anything else that
  // starts no token is an "Unexpected character." error.
  extras: $ => [/[ \t\r\n]/, $.comment],

  word: $ => $.identifier,

  // Lox's keywords are reserved: never an identifier, even where only an
  // identifier could follow (`var nil = 1;`, `class this {}`).
  reserved: {
    global: $ => [...KEYWORDS, $.this, $.true, $.false, $.nil],
  },

  supertypes: $ => [$._declaration, $._statement, $._expression, $._operand],

  rules: {
    source_file: $ => repeat($._declaration),

    // ---- Declarations -------------------------------------------------

    _declaration: $ => choice(
      $.class_declaration,
      $.function_declaration,
      $.variable_declaration,
      $._statement,
    ),

    class_declaration: $ => seq(
      'class',
      field('name', $.identifier),
      optional(field('superclass', $.superclass)),
      field('body', $.class_body),
    ),

    superclass: $ => seq('<', $.identifier),

    class_body: $ => seq('{', repeat($.method), '}'),

    method: $ => seq(
      field('name', $.identifier),
      field('parameters', $.parameters),
      field('body', $.block),
    ),

    function_declaration: $ => seq(
      'fun',
      field('name', $.identifier),
      field('parameters', $.parameters),
      field('body', $.block),
    ),

    parameters: $ => seq('(', commaSep($.identifier), ')'),

    variable_declaration: $ => seq(
      'var',
      field('name', $.identifier),
      optional(seq('=', field('value', $._expression))),
      ';',
    ),

    // ---- Statements ---------------------------------------------------

    _statement: $ => choice(
      $.expression_statement,
      $.for_statement,
      $.if_statement,
      $.print_statement,
      $.return_statement,
      $.while_statement,
      $.block,
    ),

    expression_statement: $ => seq($._expression, ';'),

    for_statement: $ => seq(
      'for',
      '(',
      choice(
        field('initializer', choice($.variable_declaration, $.expression_statement)),
        ';',
      ),
      optional(field('condition', $._expression)),
      ';',
      optional(field('increment', $._expression)),
      ')',
      field('body', $._statement),
    ),

    // A dangling `else` belongs to the nearest `if`.
    if_statement: $ => prec.right(seq(
      'if',
      '(',
      field('condition', $._expression),
      ')',
      field('consequence', $._statement),
      optional(seq('else', field('alternative', $._statement))),
    )),

    print_statement: $ => seq('print', $._expression, ';'),

    return_statement: $ => seq('return', optional($._expression), ';'),

    while_statement: $ => seq(
      'while',
      '(',
      field('condition', $._expression),
      ')',
      field('body', $._statement),
    ),

    block: $ => seq('{', repeat($._declaration), '}'),

    // ---- Expressions --------------------------------------------------

    _expression: $ => choice($.assignment_expression, $._operand),

    // Everything but an assignment: what operators apply to.
    _operand: $ => choice(
      $.binary_expression,
      $.unary_expression,
      $.call_expression,
      $.property_expression,
      $.index_expression,
      $.super_expression,
      $.parenthesized_expression,
      $.list,
      $.identifier,
      $.this,
      $.number,
      $.string,
      $.true,
      $.false,
      $.nil,
    ),

    assignment_expression: $ => prec.right(PREC.assign, seq(
      field('left', choice($.identifier, $.property_expression, $.index_expression)),
      '=',
      field('right', $._expression),
    )),

    binary_expression: $ => {
      const table = [
        [PREC.or, 'or'],
        [PREC.and, 'and'],
        [PREC.equality, choice('==', '!=')],
        [PREC.comparison, choice('<', '<=', '>', '>=')],
        [PREC.term, choice('+', '-')],
        [PREC.factor, choice('*', '/', '%')],
      ];
      return choice(...table.map(([precedence, operator]) => prec.left(precedence, seq(
        field('left', $._operand),
        // @ts-ignore
        field('operator', operator),
        field('right', $._operand),
      ))));
    },

    unary_expression: $ => prec(PREC.unary, seq(
      field('operator', choice('!', '-')),
      field('operand', $._operand),
    )),

    call_expression: $ => prec(PREC.call, seq(
      field('function', $._operand),
      field('arguments', $.arguments),
    )),

    arguments: $ => seq('(', commaSep($._expression), ')'),

    property_expression: $ => prec(PREC.call, seq(
      field('object', $._operand),
      '.',
      field('property', $.identifier),
    )),

    index_expression: $ => prec(PREC.call, seq(
      field('object', $._operand),
      '[',
      field('index', $._expression),
      ']',
    )),

    super_expression: $ => seq('super', '.', field('method', $.identifier)),

    parenthesized_expression: $ => seq('(', $._expression, ')'),

    // Elements separated by commas, with an optional trailing comma.
    list: $ => seq('[', optional(seq(commaSep1($._expression), optional(','))), ']'),

    // ---- Tokens -------------------------------------------------------

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    this: _ => 'this',
    true: _ => 'true',
    false: _ => 'false',
    nil: _ => 'nil',

    // A fractional part needs digits on both sides of the dot.
    number: _ => /[0-9]+(\.[0-9]+)?/,

    // No escapes; any character but `"`, newlines included.
    string: _ => /"[^"]*"/,

    comment: _ => token(seq('//', /[^\n]*/)),
  },
});

/**
 * One or more `rule`s separated by commas.
 * @param {RuleOrLiteral} rule
 * @return {SeqRule}
 */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

/**
 * Zero or more `rule`s separated by commas.
 * @param {RuleOrLiteral} rule
 * @return {ChoiceRule}
 */
function commaSep(rule) {
  return optional(commaSep1(rule));
}
