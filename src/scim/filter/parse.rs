//! Recursive-descent parser for the RFC 7644 §3.4.2.2 filter grammar.
//!
//! ```text
//! or    = and *("or" and)              ; left-associative
//! and   = unary *("and" unary)         ; left-associative
//! unary = "not" "(" or ")" / "(" or ")" / attrPath SP "pr" / attrPath SP compareOp SP compValue
//!       / attrPath "[" or "]" ["." ATTRNAME SP ("pr" / compareOp SP compValue)]
//! ```
//!
//! RFC 7644 §3.4.2.2: "'not' ... highest precedence, followed by 'and', then 'or'". `and`/`or` chains are loops, so
//! the only recursion is into `(`, `not (` and `[`, each of which counts against [`Limits::max_depth`] before
//! descending: no input can overflow the stack. The length limit is checked before the first token.

use super::lexer::{Lexer, Tok, Token, char_offset};
use super::{CompValue, CompareOp, Filter, FilterError, Limits};
use crate::scim::path::{AttrPath, PathError, is_attr_name};

const EXPECT_START: &str = "an attribute path, \"(\" or \"not (\"";
const EXPECT_OP: &str = "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le) or \"pr\"";
const EXPECT_VALUE: &str = "a value (a JSON string, a number, true, false or null)";
const EXPECT_AFTER_TOP: &str = "\"and\", \"or\" or the end of the filter";
const EXPECT_AFTER_PAREN: &str = "\"and\", \"or\" or \")\"";
const EXPECT_AFTER_BRACKET: &str = "\"and\", \"or\" or \"]\"";
const EXPECT_PAREN_AFTER_NOT: &str = "\"(\" after \"not\"";

/// Parse a whole filter.
pub(super) fn filter(src: &str, limits: &Limits) -> Result<Filter, FilterError> {
    check_len(src, limits)?;
    let mut p = Parser::new(src, 0, limits);
    let f = p.or()?;
    p.expect(|t| matches!(t, Tok::End), EXPECT_AFTER_TOP)?;
    Ok(f)
}

/// Parse the valFilter after the `[` that ends at byte `open`, through the closing `]`; returns the filter and the
/// byte index just past `]`.
pub(super) fn value_filter(src: &str, open: usize, limits: &Limits) -> Result<(Filter, usize), FilterError> {
    check_len(src, limits)?;
    let mut p = Parser::new(src, open, limits);
    p.depth = 1;
    p.in_bracket = true;
    let f = p.or()?;
    let close = p.expect(|t| matches!(t, Tok::RBracket), EXPECT_AFTER_BRACKET)?;
    Ok((f, close.end))
}

fn check_len(src: &str, limits: &Limits) -> Result<(), FilterError> {
    // Bytes bound characters from above: skip counting for the common short input.
    if src.len() <= limits.max_len {
        return Ok(());
    }
    let len = src.chars().count();
    if len > limits.max_len {
        Err(FilterError::TooLong {
            len,
            max: limits.max_len,
        })
    } else {
        Ok(())
    }
}

struct Parser<'a> {
    src: &'a str,
    lex: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
    max_depth: usize,
    /// Inside `[...]`, where a second value path is not allowed.
    in_bracket: bool,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, pos: usize, limits: &Limits) -> Self {
        Parser {
            src,
            lex: Lexer::new(src, pos),
            peeked: None,
            depth: 0,
            max_depth: limits.max_depth,
            in_bracket: false,
        }
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(),
        }
    }

    fn peek(&mut self) -> Result<&Token, FilterError> {
        let t = match self.peeked.take() {
            Some(t) => t,
            None => self.lex.next_token()?,
        };
        Ok(self.peeked.insert(t))
    }

    fn text(&self, t: &Token) -> &'a str {
        &self.src[t.start..t.end]
    }

    /// The next token is the word `kw` (any case).
    fn peek_keyword(&mut self, kw: &str) -> Result<bool, FilterError> {
        let src = self.src;
        let t = self.peek()?;
        Ok(t.tok == Tok::Word && src[t.start..t.end].eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, want: impl Fn(&Tok) -> bool, expected: &'static str) -> Result<Token, FilterError> {
        let t = self.next()?;
        if want(&t.tok) {
            Ok(t)
        } else {
            Err(self.unexpected(&t, expected))
        }
    }

    fn unexpected(&self, t: &Token, expected: &'static str) -> FilterError {
        let at = char_offset(self.src, t.start);
        if t.tok == Tok::End {
            FilterError::UnexpectedEnd { at, expected }
        } else {
            FilterError::Unexpected {
                found: self.lex.quote(t.start, t.end),
                at,
                expected,
            }
        }
    }

    /// One more level of nesting, opened by `t`.
    fn enter(&mut self, t: &Token) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(FilterError::TooDeep {
                max: self.max_depth,
                at: char_offset(self.src, t.start),
            });
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut lhs = self.and()?;
        while self.peek_keyword("or")? {
            self.next()?;
            let rhs = self.and()?;
            lhs = Filter::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut lhs = self.unary()?;
        while self.peek_keyword("and")? {
            self.next()?;
            let rhs = self.unary()?;
            lhs = Filter::And(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let t = self.next()?;
        match t.tok {
            Tok::LParen => self.group(&t),
            Tok::Word if self.text(&t).eq_ignore_ascii_case("not") && self.peek()?.tok == Tok::LParen => {
                let open = self.expect(|t| matches!(t, Tok::LParen), EXPECT_PAREN_AFTER_NOT)?;
                Ok(Filter::Not(Box::new(self.group(&open)?)))
            }
            Tok::Word => self.attr_expr(&t),
            Tok::RParen | Tok::LBracket | Tok::RBracket | Tok::Str(_) | Tok::Num(_) | Tok::End => {
                Err(self.unexpected(&t, EXPECT_START))
            }
        }
    }

    /// After `(`: a filter and `)`.
    fn group(&mut self, open: &Token) -> Result<Filter, FilterError> {
        self.enter(open)?;
        let f = self.or()?;
        self.expect(|t| matches!(t, Tok::RParen), EXPECT_AFTER_PAREN)?;
        self.depth -= 1;
        Ok(f)
    }

    /// An attribute expression or a value path, starting with the word `t`.
    fn attr_expr(&mut self, t: &Token) -> Result<Filter, FilterError> {
        let path = self.attr_path(t)?;
        let next = self.next()?;
        if next.tok == Tok::LBracket && !next.spaced {
            self.value_path(path, &next)
        } else {
            self.condition(path, &next)
        }
    }

    /// After `attrPath [`: the value filter, `]`, and the optional `.sub op value` extension.
    fn value_path(&mut self, path: AttrPath, open: &Token) -> Result<Filter, FilterError> {
        if self.in_bracket {
            return Err(FilterError::NestedValuePath {
                at: char_offset(self.src, open.start),
            });
        }
        self.enter(open)?;
        self.in_bracket = true;
        let inner = self.or()?;
        self.expect(|t| matches!(t, Tok::RBracket), EXPECT_AFTER_BRACKET)?;
        self.in_bracket = false;
        self.depth -= 1;
        let Some(sub) = self.trailing_sub()? else {
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        };
        // Entra and others write `emails[type eq "work"].value eq "x"`; read it as `emails[... and value eq "x"]`.
        let op = self.next()?;
        let cond = self.condition(AttrPath::simple(sub), &op)?;
        Ok(Filter::ValuePath(
            path,
            Box::new(Filter::And(Box::new(inner), Box::new(cond))),
        ))
    }

    /// A `.name` word right after `]`, consumed; its name.
    fn trailing_sub(&mut self) -> Result<Option<&'a str>, FilterError> {
        let src = self.src;
        let t = self.peek()?;
        let (start, end) = (t.start, t.end);
        let text = &src[start..end];
        if t.tok != Tok::Word || t.spaced || !text.starts_with('.') {
            return Ok(None);
        }
        let name = &text[1..];
        if !is_attr_name(name) {
            let source = PathError::BadName { found: name.to_owned() };
            return Err(FilterError::BadPath {
                found: self.lex.quote(start, end),
                at: char_offset(src, start),
                source,
            });
        }
        self.next()?;
        Ok(Some(name))
    }

    fn attr_path(&self, t: &Token) -> Result<AttrPath, FilterError> {
        AttrPath::parse(self.text(t)).map_err(|source| FilterError::BadPath {
            found: self.lex.quote(t.start, t.end),
            at: char_offset(self.src, t.start),
            source,
        })
    }

    /// `pr`, or an operator and a value, after `path`; `op` is the token after the path.
    fn condition(&mut self, path: AttrPath, op: &Token) -> Result<Filter, FilterError> {
        let word = if op.tok == Tok::Word { self.text(op) } else { "" };
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(cmp) = CompareOp::from_keyword(word) else {
            return Err(self.unexpected(op, EXPECT_OP));
        };
        let v = self.next()?;
        let value = match v.tok {
            Tok::Str(s) => CompValue::Str(s),
            Tok::Num(n) => CompValue::Num(n),
            Tok::Word => match self.text(&v).to_ascii_lowercase().as_str() {
                "true" => CompValue::Bool(true),
                "false" => CompValue::Bool(false),
                "null" => CompValue::Null,
                _ => return Err(self.unexpected(&v, EXPECT_VALUE)),
            },
            Tok::LParen | Tok::RParen | Tok::LBracket | Tok::RBracket | Tok::End => {
                return Err(self.unexpected(&v, EXPECT_VALUE));
            }
        };
        Ok(Filter::Compare(path, cmp, value))
    }
}
