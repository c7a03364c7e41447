"use strict";
const dialects = { SOQL: "soql", SOSL: "sosl", APEX: "apex" };

function createCaseInsensitiveRegex(word) {
  return new RegExp(
    word
      .split("")
      .map((letter) => `[${letter.toLowerCase()}${letter.toUpperCase()}]`)
      .join("")
  );
}

// lockgen: a keyword of several words (`with sharing`, `before insert`, `ORDER BY`) is one token
// per word, not one token with the whitespace inside it. Upstream's single tokens multiplied the
// lexer's states (5,341 parse states against 3,215, parser.c 7.6 MB against 4.1 MB); the named
// nodes around them (`with_sharing`, `trigger_event`, `order_by_clause` …) are unchanged, only
// their unnamed children are now one per word.
function ci(keyword) {
  const words = keyword.split(" ");
  const tokens = words.map((word) =>
    alias(token(createCaseInsensitiveRegex(word)), word)
  );
  return tokens.length == 1 ? tokens[0] : seq(...tokens);
}

function commaJoined(expression) {
  return optional(commaJoined1(expression));
}

function commaJoined1(expression) {
  return joined(",", expression);
}

function joined(joinedBy, expression) {
  return seq(expression, repeat(seq(joinedBy, expression)));
}

module.exports = { ci, commaJoined, commaJoined1, joined, dialects };
