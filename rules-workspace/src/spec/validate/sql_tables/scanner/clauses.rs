//! Tokens in ordinary position: brackets, separators, and the words that start a statement or
//! clause or change the estimated depth, one handler each. Each handler updates the innermost
//! level as sqlfluff's grammar would see the token, and refuses (`None`) what that grammar
//! rejects: clauses out of order, a `JOIN` outside `FROM`, a missing operand, a bind variable.

use super::super::lexer::{Kw, K};
use super::{
    Expect, Level, Open, Scanner, Stmt, COST_BRACKET, COST_CALL, COST_CASE, COST_CLAUSE_BRACKET,
    COST_EXISTS_SUBQUERY, COST_FROM_SUBQUERY, COST_IN_SUBQUERY, COST_LIKE, COST_OPERAND_BRACKET,
    COST_SELECT_CALL, COST_SUBQUERY, C_FETCH, C_FROM, C_GROUP, C_HAVING, C_LIMIT, C_OFFSET,
    C_ORDER, C_QUALIFY, C_SELECT, C_WHERE,
};

impl Scanner<'_> {
    /// A token in ordinary (expression or clause) position.
    pub(super) fn general(&mut self, i: usize) -> Option<usize> {
        let k = self.toks[i].k;
        let in_pattern = self.top().pattern;
        if k == K::Question && !in_pattern {
            return None; // a bind placeholder: sqlfluff rejects it
        }
        if !in_pattern && self.operand_missing(i) {
            return None;
        }
        match k {
            K::LParen => self.open_paren(i),
            K::LBrack | K::LBrace => self.open_bracket(i),
            K::RParen | K::RBrack | K::RBrace => self.close_bracket(i),
            K::Comma => self.comma(i),
            K::Semi => self.semicolon(i),
            K::Word => self.word(i),
            K::BinOp if self.text(i) == ":" => self.colon(i),
            _ => {
                self.top().started = true;
                Some(i + 1)
            }
        }
    }

    /// The kind of the token before `i`.
    fn prev(&self, i: usize) -> Option<K> {
        i.checked_sub(1).map(|p| self.toks[p].k)
    }

    // -- Brackets and separators ------------------------------------------------------------

    /// `(`: a call's arguments, a subquery or a bracketed expression, each with its depth cost.
    fn open_paren(&mut self, i: usize) -> Option<usize> {
        let prev = self.prev(i);
        let call = prev == Some(K::Word)
            && !matches!(
                self.kw(i - 1),
                Kw::Dangling
                    | Kw::Like
                    | Kw::Then
                    | Kw::Case
                    | Kw::In
                    | Kw::As
                    | Kw::On
                    | Kw::Using
                    | Kw::Where
                    | Kw::Having
                    | Kw::Qualify
                    | Kw::Select
                    | Kw::From
                    | Kw::Join
                    | Kw::By
                    | Kw::SetOp
                    | Kw::Into
                    | Kw::Set
                    | Kw::Distinct
                    | Kw::With
                    | Kw::Lateral
                    | Kw::Limit
                    | Kw::Offset
            );
        self.top().started = true;
        let operand = match prev {
            Some(K::BinOp | K::Op | K::Star) => true,
            Some(K::Word) => self.kw(i - 1) == Kw::Dangling,
            _ => false,
        };
        let top = &self.levels[self.levels.len() - 1];
        let element_start = top.stmt == Stmt::Select
            && top.clause == C_SELECT
            && (self.kind(i.wrapping_sub(2)) == Some(K::Comma)
                || matches!(self.kw(i.wrapping_sub(2)), Kw::Select | Kw::Distinct));
        let after_clause = matches!(
            self.kw(i.wrapping_sub(1)),
            Kw::Where | Kw::Having | Kw::Qualify | Kw::On
        );
        let cost = if call && element_start {
            COST_SELECT_CALL
        } else if call {
            COST_CALL
        } else if after_clause {
            COST_CLAUSE_BRACKET
        } else if operand {
            COST_OPERAND_BRACKET
        } else {
            COST_BRACKET
        };
        let pattern = self.top().pattern
            || (prev == Some(K::Word) && self.text(i - 1).eq_ignore_ascii_case("PATTERN"));
        self.push(Open::Paren, Expect::Normal, Expect::Normal, cost);
        self.top().open_at = i;
        self.top().pattern = pattern;
        self.top().call = call;
        Some(i + 1)
    }

    /// `[` or `{`: an array or object constant, or part of a `PATTERN(...)`.
    fn open_bracket(&mut self, i: usize) -> Option<usize> {
        self.top().started = true;
        let open = if self.toks[i].k == K::LBrack {
            Open::Square
        } else {
            Open::Brace
        };
        let pattern = self.top().pattern;
        self.push(open, Expect::Normal, Expect::Normal, COST_BRACKET);
        self.top().pattern = pattern;
        Some(i + 1)
    }

    /// `)`, `]` or `}`: closes the innermost level, which must be complete and of its kind.
    fn close_bracket(&mut self, i: usize) -> Option<usize> {
        let want = match self.toks[i].k {
            K::RParen => Open::Paren,
            K::RBrack => Open::Square,
            _ => Open::Brace,
        };
        if self.top().open != want {
            return None;
        }
        if want == Open::Paren && self.top().call && self.prev(i) == Some(K::Comma) {
            return None;
        }
        self.end_statement(i)?;
        let level = self.levels.pop()?;
        let n = self.levels.len();
        while self.cases.last().is_some_and(|c| c.0 > n) {
            self.cases.pop();
        }
        let parent = self.top();
        parent.expect = level.on_close;
        if level.stmt != Stmt::None && level.on_close == Expect::Normal {
            // `(SELECT ...) UNION (SELECT ...)`: the enclosing level is a query too.
            parent.setop = false;
            if parent.stmt == Stmt::None {
                parent.stmt = Stmt::Select;
            }
        }
        Some(i + 1)
    }

    /// `,`: the next argument, select-list element or (in `FROM`) from-item.
    fn comma(&mut self, i: usize) -> Option<usize> {
        let prev = self.prev(i);
        if self.top().open == Open::Paren && matches!(prev, Some(K::LParen | K::Comma)) {
            return None;
        }
        if self.top().open == Open::Paren && self.top().call && self.kind(i + 1) == Some(K::RParen)
        {
            return None;
        }
        let top = self.top();
        top.likes = 0;
        top.on_expr = false;
        top.joined = false;
        top.natural_join = false;
        top.changes = false;
        if top.in_from && top.clause == C_FROM {
            top.expect = Expect::FromItem;
        }
        Some(i + 1)
    }

    /// `;`: ends a statement at the top level; the next one starts afresh.
    fn semicolon(&mut self, i: usize) -> Option<usize> {
        if self.levels.len() != 1 {
            return None;
        }
        self.end_statement(i)?;
        self.levels[0] = Level::new(Open::Root, Expect::Normal, Expect::Normal);
        self.cases.clear();
        Some(i + 1)
    }

    /// `:`: `x:path` is a variant access; `= :1` / `(:var` are bind variables sqlfluff rejects.
    fn colon(&mut self, i: usize) -> Option<usize> {
        if !matches!(
            self.prev(i),
            Some(K::Word | K::Quoted | K::Str | K::Num | K::RParen | K::RBrack | K::Var)
        ) {
            return None;
        }
        self.top().started = true;
        Some(i + 1)
    }

    // -- Words: statements, clauses and the operators that change depth ----------------------

    /// A word: dispatched to the handler of the statement, clause or operator it starts.
    fn word(&mut self, i: usize) -> Option<usize> {
        let prev = self.prev(i);
        let kw = self.kw(i);
        let started = self.top().started;
        self.top().started = true;
        let stmt = self.top().stmt;
        if stmt == Stmt::None
            && !started
            && self.levels.len() == 1
            && !matches!(
                kw,
                Kw::Select | Kw::With | Kw::Insert | Kw::Update | Kw::Delete | Kw::Merge
            )
        {
            return None; // a statement we do not model (CREATE, SHOW, ...)
        }
        let after_distinct = prev == Some(K::Word) && self.kw(i - 1) == Kw::Distinct;
        let by_follows = self.kw(i + 1) == Kw::By;
        let natural = self.text(i).eq_ignore_ascii_case("NATURAL");
        let after_within = prev == Some(K::Word) && self.text(i - 1).eq_ignore_ascii_case("WITHIN");
        let top = self.top();
        if !matches!(
            kw,
            Kw::Like
                | Kw::Dangling
                | Kw::Other
                | Kw::In
                | Kw::Exists
                | Kw::Case
                | Kw::End
                | Kw::Distinct
        ) {
            top.likes = 0; // a new expression starts
            top.on_expr = kw == Kw::On;
        }
        let top: &Level = top;
        match kw {
            Kw::Like => self.like_operator(),
            Kw::Case => self.case_open(),
            Kw::End => self.case_close(),
            Kw::Select => self.clause_select()?,
            Kw::With
                if (top.stmt == Stmt::None && !started)
                    || (top.stmt == Stmt::Insert && top.in_from) =>
            {
                return Some(self.clause_with(i));
            }
            // `IS [NOT] DISTINCT FROM` is an operator, not a clause.
            Kw::From if !after_distinct => self.clause_from()?,
            Kw::Join => self.clause_join()?,
            Kw::On | Kw::Using if (top.natural_join || top.changes) && top.in_from => {
                // NATURAL JOIN takes no condition; sqlfluff rejects one after CHANGES(...).
                return None;
            }
            Kw::JoinMod if natural => self.top().natural_next = true,
            Kw::Using => self.clause_using(),
            Kw::For if top.call => {
                return None; // `SUBSTRING(s FROM 1 FOR 2)`: sqlfluff's Snowflake grammar lacks it
            }
            Kw::Group | Kw::Order if !by_follows && !after_within => {
                return None; // GROUP/ORDER are reserved: only `GROUP BY`, `ORDER BY`, `WITHIN GROUP`
            }
            Kw::Where
            | Kw::Having
            | Kw::Qualify
            | Kw::Limit
            | Kw::Offset
            | Kw::Fetch
            | Kw::Group
            | Kw::Order => self.clause_ranked(i, kw)?,
            Kw::SetOp if top.stmt == Stmt::Select => self.set_operator()?,
            Kw::Insert | Kw::Merge | Kw::Update | Kw::Delete if top.stmt == Stmt::None => {
                self.statement_start(kw)
            }
            Kw::Into => self.clause_into(),
            Kw::Follower if top.stmt == Stmt::Merge => self.top().in_from = false, // WHEN [NOT] MATCHED ...
            Kw::Set if top.stmt == Stmt::Update => self.clause_update_set(),
            _ => {}
        }
        Some(i + 1)
    }

    /// `LIKE`/`ILIKE`/`RLIKE`/`REGEXP`: sqlfluff parses the rest of the expression deeper.
    fn like_operator(&mut self) {
        let top = self.top();
        top.likes = top.likes.saturating_add(1);
        self.note_depth();
    }

    /// `CASE`: its depth (and the `LIKE` chain so far) holds until the matching `END`.
    fn case_open(&mut self) {
        let top = self.top();
        let (likes, frozen) = (top.likes, top.frozen);
        top.frozen = frozen
            .saturating_add(likes.saturating_mul(COST_LIKE))
            .saturating_add(COST_CASE);
        top.likes = 0;
        self.cases.push((self.levels.len(), likes, frozen));
        self.note_depth();
    }

    /// `END`: closes the innermost `CASE` of this level, restoring the depth from before it.
    fn case_close(&mut self) {
        if let Some(&(level, likes, frozen)) = self.cases.last() {
            if level == self.levels.len() {
                self.cases.pop();
                let top = self.top();
                top.likes = likes;
                top.frozen = frozen;
            }
        }
    }

    /// `SELECT`: starts a query (alone, after `INSERT`, or after a set operator); in a bracket
    /// the bracket is re-priced as the subquery it now is.
    fn clause_select(&mut self) -> Option<()> {
        let top = self.top();
        if !(top.stmt == Stmt::None || top.stmt == Stmt::Insert || top.setop) {
            return None;
        }
        top.stmt = Stmt::Select;
        top.clause = C_SELECT;
        top.in_from = false;
        top.setop = false;
        top.no_join = false;
        if top.open == Open::Paren && top.on_close != Expect::CteNext {
            let cost = if top.on_close != Expect::Normal {
                COST_FROM_SUBQUERY
            } else {
                match top.open_at.checked_sub(1).map(|p| self.kw(p)) {
                    Some(Kw::In) => COST_IN_SUBQUERY,
                    Some(Kw::Exists) => COST_EXISTS_SUBQUERY,
                    _ => COST_SUBQUERY,
                }
            };
            self.set_cost(cost);
        }
        Some(())
    }

    /// `WITH [RECURSIVE]` at a statement's start (or after `INSERT ... INTO`): CTE names follow.
    /// Returns the index of the first CTE's name.
    fn clause_with(&mut self, i: usize) -> usize {
        self.top().expect = Expect::CteName;
        if self.kw(i + 1) == Kw::Recursive {
            i + 2
        } else {
            i + 1
        }
    }

    /// `FROM` of a `SELECT`, `DELETE` or `UPDATE`: from-items follow. Elsewhere (`EXTRACT(x
    /// FROM y)`, `TRIM(... FROM y)`, `SUBSTRING(s FROM n)`) it is part of an expression.
    fn clause_from(&mut self) -> Option<()> {
        let top = self.top();
        if let Stmt::Select | Stmt::Delete | Stmt::Update = top.stmt {
            if top.stmt == Stmt::Select && top.clause >= C_FROM {
                return None;
            }
            top.clause = C_FROM;
            top.in_from = true;
            top.joined = false;
            top.expect = Expect::FromItem;
        }
        Some(())
    }

    /// `JOIN`: a from-item follows, only inside `FROM`.
    fn clause_join(&mut self) -> Option<()> {
        let top = self.top();
        if top.no_join {
            return None; // `JOIN (a JOIN b ...)`: sqlfluff only takes a subquery there
        }
        top.natural_join = std::mem::take(&mut top.natural_next);
        top.changes = false;
        if top.in_from && top.clause == C_FROM {
            top.expect = Expect::FromItem;
            top.joined = true;
        } else if top.stmt == Stmt::Select {
            return None; // JOIN after WHERE/GROUP BY/...
        }
        Some(())
    }

    /// `USING`: the source of a `MERGE INTO` or the extra tables of a `DELETE`; a join's
    /// `USING (cols)` names columns, not tables.
    fn clause_using(&mut self) {
        let top = self.top();
        if top.stmt == Stmt::Merge && top.merge_into && !top.merge_using {
            top.merge_using = true;
            top.in_from = true;
            top.clause = C_FROM;
            top.expect = Expect::FromItem;
        } else if top.stmt == Stmt::Delete && top.in_from {
            top.expect = Expect::FromItem;
        }
    }

    /// `WHERE`, `GROUP BY`, `HAVING`, `QUALIFY`, `ORDER BY`, `LIMIT`, `OFFSET`, `FETCH`: they end
    /// the from-items, and within one `SELECT` they must come in this order.
    fn clause_ranked(&mut self, i: usize, kw: Kw) -> Option<()> {
        let rank = match kw {
            Kw::Where => C_WHERE,
            Kw::Having => C_HAVING,
            Kw::Qualify => C_QUALIFY,
            Kw::Limit => C_LIMIT,
            Kw::Offset => C_OFFSET,
            Kw::Fetch => C_FETCH,
            Kw::Group => C_GROUP,
            _ => C_ORDER,
        };
        let is_clause = !matches!(kw, Kw::Group | Kw::Order) || self.kw(i + 1) == Kw::By;
        let top = self.top();
        if is_clause {
            if top.stmt == Stmt::Select {
                if rank <= top.clause {
                    return None;
                }
                top.clause = rank;
            }
            top.in_from = false;
        }
        Some(())
    }

    /// `UNION`, `INTERSECT`, `EXCEPT`, `MINUS` after a `SELECT`: another `SELECT` must follow.
    fn set_operator(&mut self) -> Option<()> {
        let top = self.top();
        if top.clause >= C_ORDER {
            return None; // `... ORDER BY/LIMIT ... UNION`: needs brackets
        }
        top.setop = true;
        top.clause = C_SELECT;
        top.in_from = false;
        Some(())
    }

    /// `INSERT`, `MERGE`, `UPDATE` or `DELETE` starting a statement; `UPDATE`'s table follows.
    fn statement_start(&mut self, kw: Kw) {
        let top = self.top();
        match kw {
            Kw::Insert => top.stmt = Stmt::Insert,
            Kw::Merge => top.stmt = Stmt::Merge,
            Kw::Update => {
                top.stmt = Stmt::Update;
                top.expect = Expect::FromItem;
            }
            _ => top.stmt = Stmt::Delete,
        }
    }

    /// `INTO` of `INSERT [OVERWRITE] INTO` or `MERGE INTO`: the target table follows.
    fn clause_into(&mut self) {
        let top = self.top();
        match top.stmt {
            Stmt::Insert => {
                top.in_from = true;
                top.expect = Expect::FromItem;
            }
            Stmt::Merge if !top.merge_into => {
                top.merge_into = true;
                top.expect = Expect::FromItem;
            }
            _ => {}
        }
    }

    /// `SET` of an `UPDATE`: assignments follow, no more tables.
    fn clause_update_set(&mut self) {
        let top = self.top();
        top.in_from = false;
        top.clause = C_SELECT;
    }

    /// Token `i` needs an operand (`WHERE`, `AND`, `=`, ...) but the next token cannot start one
    /// (`WHERE GROUP BY`, `AND,`, `= )`).
    fn operand_missing(&self, i: usize) -> bool {
        let needs = match self.toks[i].k {
            K::BinOp => self.text(i) != ":",
            K::Word => match self.kw(i) {
                Kw::Where
                | Kw::On
                | Kw::Having
                | Kw::Qualify
                | Kw::By
                | Kw::As
                | Kw::Like
                | Kw::Then => true,
                Kw::Dangling => {
                    let w = self.text(i);
                    w.eq_ignore_ascii_case("AND") || w.eq_ignore_ascii_case("OR")
                }
                _ => false,
            },
            _ => false,
        };
        if !needs {
            return false;
        }
        match self.kind(i + 1) {
            Some(K::Comma | K::RParen | K::Semi) => true,
            // (`OR or(...)` is a call of a function named `or`.)
            Some(K::Word) if self.kind(i + 2) == Some(K::LParen) => false,
            Some(K::Word) => match self.kw(i + 1) {
                Kw::Where
                | Kw::Group
                | Kw::Order
                | Kw::Having
                | Kw::Qualify
                | Kw::From
                | Kw::Join
                | Kw::On
                | Kw::Using
                | Kw::SetOp
                | Kw::As => true,
                Kw::Dangling => {
                    let w = self.text(i + 1);
                    w.eq_ignore_ascii_case("AND") || w.eq_ignore_ascii_case("OR")
                }
                _ => false,
            },
            _ => false,
        }
    }
}
