//! CTE positions: `WITH [RECURSIVE] name [(cols)] AS (body), ...`, and the CTE names PAT
//! compares table references against.
//!
//! PAT drops a reference structurally equal to a CTE's name as its `get_aliases` records it: a
//! naked name always, a quoted name only when sqlfluff records the CTE as a list, which happens
//! when two pieces of trivia between the name and the body share a type (counted here).

use super::super::lexer::{find, skip_line, Kw, K};
use super::{Expect, Open, Scanner, COST_BRACKET, COST_CTE};

impl Scanner<'_> {
    /// `Expect::CteName`: a CTE's name after `WITH` or `,`.
    pub(super) fn cte_name(&mut self, i: usize) -> Option<usize> {
        if !self.is_name(i) {
            return None;
        }
        self.cte_name_tok = i;
        self.cte_trivia = [0; 4];
        self.top().expect = Expect::CteAfterName { cols: false };
        Some(i + 1)
    }

    /// `Expect::CteAfterName`: after a CTE's name, an optional column list, then `AS` (or,
    /// as sqlfluff also accepts, the body right away).
    pub(super) fn cte_after_name(&mut self, i: usize, cols: bool) -> Option<usize> {
        let k = self.toks[i].k;
        self.cte_child_gap(i);
        if k == K::LParen && matches!(self.kw(i + 1), Kw::Select | Kw::With) {
            // sqlfluff accepts a CTE without AS.
            return self.cte_body(i);
        }
        if k == K::LParen && !cols {
            self.top().expect = Expect::Normal;
            self.push(
                Open::Paren,
                Expect::Normal,
                Expect::CteAfterName { cols: true },
                COST_BRACKET,
            );
            return Some(i + 1);
        }
        if self.kw(i) != Kw::As {
            return None;
        }
        self.top().expect = Expect::CteBody;
        Some(i + 1)
    }

    /// `Expect::CteBody`: the `(` of a CTE's body after `AS`.
    pub(super) fn cte_body_open(&mut self, i: usize) -> Option<usize> {
        if self.toks[i].k != K::LParen {
            return None;
        }
        self.cte_child_gap(i);
        self.cte_body(i)
    }

    /// `Expect::CteNext`: after a CTE's body, `,` and another CTE, or the main statement.
    pub(super) fn cte_next(&mut self, i: usize) -> Option<usize> {
        if self.toks[i].k == K::Comma {
            self.top().expect = Expect::CteName;
            return Some(i + 1);
        }
        self.top().expect = Expect::Normal;
        self.general(i)
    }

    /// Counts the trivia before token `i`, which starts a child of the CTE being read
    /// (column list, `AS`, body).
    fn cte_child_gap(&mut self, i: usize) {
        let gap = &self.src[self.toks[i - 1].e as usize..self.toks[i].s as usize];
        count_trivia(gap, &mut self.cte_trivia);
    }

    /// Records the CTE whose body opens at token `i` and enters the body.
    fn cte_body(&mut self, i: usize) -> Option<usize> {
        let name_tok = self.cte_name_tok;
        let raw = self.text(name_tok).to_owned();
        let key = if self.toks[name_tok].k == K::Word {
            Some((false, raw))
        } else if self.cte_trivia.iter().any(|&c| c > 1) {
            // A quoted name survives `get_aliases` only when the CTE's record is a list,
            // i.e. when its children (name, trivia, column list, AS, body) repeat a type.
            Some((true, raw))
        } else {
            None
        };
        self.ctes.push(key);
        self.top().expect = Expect::Normal;
        self.push(Open::Paren, Expect::Normal, Expect::CteNext, COST_CTE);
        Some(i + 1)
    }
}

/// Counts sqlfluff's trivia segments in a gap between two tokens.
fn count_trivia(gap: &str, counts: &mut [u32; 4]) {
    let b = gap.as_bytes();
    let mut i = 0;
    let mut in_ws = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' || (c == b'\r' && b.get(i + 1) == Some(&b'\n')) {
            counts[1] += 1;
            i += if c == b'\r' { 2 } else { 1 };
            in_ws = false;
        } else if (c == b'-' && b.get(i + 1) == Some(&b'-'))
            || (c == b'/' && b.get(i + 1) == Some(&b'/'))
            || c == b'#'
        {
            counts[2] += 1;
            i = skip_line(b, i);
            in_ws = false;
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            // sqlfluff splits a multi-line block comment at its newlines, turning the
            // indentation after each newline into whitespace.
            let mut piece = true;
            let mut j = i;
            while j < end {
                if b[j] == b'\n' {
                    counts[1] += 1;
                    piece = false;
                    j += 1;
                    let ws_start = j;
                    while j < end && matches!(b[j], b' ' | b'\t') {
                        j += 1;
                    }
                    if j > ws_start {
                        counts[0] += 1;
                    }
                } else {
                    if !piece {
                        counts[3] += 1;
                        piece = true;
                    }
                    j += 1;
                }
            }
            counts[3] += 1;
            i = end;
            in_ws = false;
        } else {
            if !in_ws {
                counts[0] += 1;
                in_ws = true;
            }
            i += 1;
        }
    }
}
