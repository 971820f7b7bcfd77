//! From-item positions: what may stand where a table can (after `FROM`, `JOIN`, a comma in
//! `FROM`, `INTO`, `UPDATE`, `USING`), and what may follow one before the next join or clause.
//! This is where table references are recorded, with the name PAT builds for them.
//!
//! Invariant: a reference is recorded only for a dotted name in a from-item position that is
//! not a table function (`TABLE(...)`, `FLATTEN(...)`, `db.schema.fn(...)`).

use super::super::lexer::{is_reserved, Kw, K};
use super::{Expect, Open, Scanner, Stmt, TableRef, COST_BRACKET, COST_CALL, C_FROM, C_SELECT};

impl Scanner<'_> {
    /// `Expect::FuncArgs`: the `(` of a table function whose name was just read.
    pub(super) fn func_args(&mut self, i: usize) -> Option<usize> {
        if self.toks[i].k != K::LParen {
            return None;
        }
        self.top().expect = Expect::Normal;
        self.push(
            Open::Paren,
            Expect::Normal,
            Expect::AfterItem { alias: false },
            COST_CALL,
        );
        self.top().call = true;
        Some(i + 1)
    }

    /// `Expect::AliasName`: the alias after `AS` in a from-item.
    pub(super) fn alias_name(&mut self, i: usize) -> Option<usize> {
        if !self.is_name(i) {
            return None;
        }
        self.top().expect = Expect::AfterItem { alias: true };
        Some(i + 1)
    }

    /// `Expect::AfterItem`: what may follow a from-item (an alias, column aliases, modifiers);
    /// anything that ends the item (a join, a clause, `,`, `)`) goes on as an ordinary token.
    pub(super) fn after_item(&mut self, i: usize, alias: bool) -> Option<usize> {
        match self.toks[i].k {
            K::Word => {
                let kw = self.kw(i);
                match kw {
                    Kw::As => {
                        if alias {
                            return None;
                        }
                        self.top().expect = Expect::AliasName;
                        return Some(i + 1);
                    }
                    Kw::Modifier | Kw::End if self.kind(i + 1) == Some(K::LParen) => {
                        if self.text(i).eq_ignore_ascii_case("CHANGES") {
                            self.top().changes = true;
                        }
                        return Some(i + 1);
                    }
                    Kw::Sample => {
                        let mut j = i + 1;
                        if self.kind(j) == Some(K::Word) && self.kind(j + 1) == Some(K::LParen) {
                            j += 1;
                        }
                        // sqlfluff takes no alias after a SAMPLE clause.
                        self.top().expect = Expect::AfterItem { alias: true };
                        return (self.kind(j) == Some(K::LParen)).then_some(j);
                    }
                    Kw::Other
                    | Kw::Modifier
                    | Kw::End
                    | Kw::Recursive
                    | Kw::Identifier
                    | Kw::Overwrite => {
                        if alias || is_reserved(self.text(i)) {
                            return None;
                        }
                        self.top().expect = Expect::AfterItem { alias: true };
                        return Some(i + 1);
                    }
                    // After CHANGES(...) sqlfluff reads these as an alias and then chokes.
                    Kw::Limit | Kw::Offset | Kw::Fetch if self.top().changes && !alias => {
                        return None
                    }
                    Kw::Where
                    | Kw::Group
                    | Kw::Having
                    | Kw::Qualify
                    | Kw::Order
                    | Kw::Limit
                    | Kw::Offset
                    | Kw::Fetch
                    | Kw::SetOp
                    | Kw::Join
                    | Kw::JoinMod
                    | Kw::On
                    | Kw::Using
                    | Kw::Follower
                    | Kw::Select
                    | Kw::With
                    | Kw::Set
                    | Kw::Insert
                    | Kw::Into
                    | Kw::Then => self.top().expect = Expect::Normal,
                    _ => return None, // `FROM t AND ...`, `FROM t TABLE(...)`, ...
                }
            }
            // (`@s1, @s2` lexes as `@s1,` then `@s2`, which sqlfluff takes as an alias.)
            K::Quoted | K::Stage => {
                if alias {
                    return None;
                }
                self.top().expect = Expect::AfterItem { alias: true };
                return Some(i + 1);
            }
            K::LParen => {
                if matches!(self.kw(i + 1), Kw::Select | Kw::With) {
                    return None; // `FROM t (SELECT ...)`
                }
                self.push(
                    Open::Paren,
                    Expect::Normal,
                    Expect::AfterItem { alias },
                    COST_BRACKET,
                );
                return Some(i + 1);
            }
            K::Comma | K::RParen | K::Semi => self.top().expect = Expect::Normal,
            _ => return None,
        }
        self.general(i)
    }

    /// Reads one from-item starting at `i`.
    pub(super) fn read_from_item(&mut self, i: usize) -> Option<usize> {
        let k = self.toks[i].k;
        match k {
            K::LParen => {
                // A subquery or a parenthesised join.
                let no_join = self.top().joined || self.top().no_join;
                self.top().expect = Expect::Normal;
                self.push(
                    Open::Paren,
                    Expect::FromItem,
                    Expect::AfterItem { alias: false },
                    COST_BRACKET,
                );
                let top = self.top();
                top.no_join = no_join;
                top.in_from = true;
                top.clause = C_FROM;
                if matches!(self.kw(i + 1), Kw::Select | Kw::With) {
                    self.top().expect = Expect::Normal;
                    self.top().in_from = false;
                    self.top().clause = C_SELECT;
                }
                return Some(i + 1);
            }
            K::Stage | K::Var => {
                let name = self.text(i).to_lowercase();
                self.tables.push(TableRef { name, key: None });
                self.top().expect = Expect::AfterItem { alias: false };
                return Some(i + 1);
            }
            K::Word | K::Quoted => {}
            _ => return None,
        }
        if k == K::Word {
            match self.kw(i) {
                Kw::Lateral => {
                    // LATERAL takes a subquery or a table function.
                    let mut j = i + 1;
                    while matches!(self.kind(j), Some(K::Word | K::Quoted | K::Dot)) {
                        j += 1;
                    }
                    return (self.kind(j) == Some(K::LParen)).then_some(i + 1);
                }
                Kw::Table if self.kind(i + 1) == Some(K::LParen) => {
                    self.top().expect = Expect::FuncArgs;
                    return Some(i + 1);
                }
                Kw::Identifier if self.kind(i + 1) == Some(K::LParen) => {
                    // sqlfluff records `IDENTIFIER(...)` as {keyword, bracketed}; PAT keeps the keyword.
                    let name = self.text(i).to_lowercase();
                    self.tables.push(TableRef { name, key: None });
                    self.top().expect = Expect::FuncArgs;
                    return Some(i + 1);
                }
                _ => {}
            }
        }
        // A dotted name: part (. part)*, with `..` allowed, and nothing between the tokens.
        let start = i;
        let mut j = i;
        loop {
            match self.kind(j) {
                Some(K::Word) => {
                    if is_reserved(self.text(j)) {
                        return None;
                    }
                }
                Some(K::Quoted) => {}
                _ => return None,
            }
            if self.kind(j + 1) != Some(K::Dot) {
                break;
            }
            if !self.adjacent(j) {
                return None;
            }
            j += 1;
            while self.kind(j + 1) == Some(K::Dot) {
                if !self.adjacent(j) {
                    return None;
                }
                j += 1;
            }
            if j + 1 >= self.toks.len() || !self.adjacent(j) {
                return None;
            }
            j += 1;
        }
        let end = j + 1;
        if self.kind(end) == Some(K::LParen) && self.top().stmt != Stmt::Insert {
            // A table function such as FLATTEN(...) or db.schema.fn(...); after
            // INSERT INTO the bracket is a column list instead.
            self.top().expect = Expect::FuncArgs;
            return Some(end);
        }
        self.record_table(start, end);
        self.top().expect = Expect::AfterItem { alias: false };
        Some(end)
    }

    /// PAT's name for the reference made of tokens `start..end`.
    fn record_table(&mut self, start: usize, end: usize) {
        let (mut naked, mut quoted, mut dots) = (0, 0, 0);
        for j in start..end {
            match self.toks[j].k {
                K::Word => naked += 1,
                K::Quoted => quoted += 1,
                _ => dots += 1,
            }
        }
        let first = self.text(start);
        let key = (end - start == 1).then(|| (self.toks[start].k == K::Quoted, first.to_owned()));
        let raw = if naked > 1 || quoted > 1 || dots > 1 {
            // Duplicate child types: the record is a list and every part is concatenated.
            &self.src[self.toks[start].s as usize..self.toks[end - 1].e as usize]
        } else {
            // No duplicates: sqlfluff collapses the record into a dict and PAT reads only
            // its first value (`"DB".tbl` -> `"db"`).
            first
        };
        self.tables.push(TableRef {
            name: raw.to_lowercase(),
            key,
        });
    }
}
