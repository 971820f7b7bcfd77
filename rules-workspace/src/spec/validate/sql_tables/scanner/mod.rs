//! The one left-to-right pass over the tokens: a stack of bracket levels, each with its
//! statement, the clause reached so far and what the next token must be (`Expect`), records
//! every table reference and CTE name, and estimates sqlfluff's parse depth.
//!
//! `step` hands each token to the handler of what its level expects: the from-item positions
//! (`from_item`), the CTE positions (`cte`), or an ordinary token (`clauses`, one handler per
//! bracket, separator, clause and depth-changing operator).
//!
//! Invariants: linear in the tokens, never recursive, never panics; the root level is never
//! popped; a query sqlfluff would reject makes the pass return `None` (PAT then skips the
//! check) rather than guess.

mod clauses;
mod cte;
mod from_item;

use super::lexer::{is_reserved, keyword, Kw, Tok, K};

/// The tables `toks` (lexed from `src`) reference, named as PAT names them and without those
/// equal to a CTE's name, in document order; `None` where sqlfluff would not parse the query.
pub(super) fn scan(src: &str, toks: &[Tok]) -> Option<Vec<String>> {
    let mut scanner = Scanner::new(src, toks);
    scanner.run()?;
    let Scanner { tables, ctes, .. } = scanner;
    Some(
        tables
            .into_iter()
            .filter(|t| match &t.key {
                Some(key) => !ctes.iter().any(|c| c.as_ref() == Some(key)),
                None => true,
            })
            .map(|t| t.name)
            .collect(),
    )
}

/// A single-part reference as PAT compares it against CTE names: (quoted?, raw text).
type RefKey = (bool, String);

struct TableRef {
    name: String,
    /// Set only for single-part names, the only ones that can equal a CTE name.
    key: Option<RefKey>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stmt {
    None,
    Select,
    Insert,
    Update,
    Delete,
    Merge,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Normal,
    /// A from-item must start here (after `FROM`, `JOIN`, a comma in `FROM`, `INTO`, ...).
    FromItem,
    /// A table function's name was read; its `(` must follow.
    FuncArgs,
    /// After a from-item: alias, column aliases, modifiers, then a join or clause.
    AfterItem {
        alias: bool,
    },
    /// After `AS` in a from-item.
    AliasName,
    CteName,
    /// After a CTE's name: optional column list, then `AS`.
    CteAfterName {
        cols: bool,
    },
    /// After `AS`: the CTE body's `(`.
    CteBody,
    /// After a CTE body: `,` or the main statement.
    CteNext,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Open {
    Root,
    Paren,
    Square,
    Brace,
}

// Clause ranks; sqlfluff only accepts them in this order within one SELECT.
const C_SELECT: u8 = 0;
const C_FROM: u8 = 1;
const C_WHERE: u8 = 2;
const C_GROUP: u8 = 3;
const C_HAVING: u8 = 4;
const C_QUALIFY: u8 = 5;
const C_ORDER: u8 = 6;
const C_LIMIT: u8 = 7;
const C_OFFSET: u8 = 8;
const C_FETCH: u8 = 9;

// Estimated sqlfluff match depth: each level's depth is its parent's plus the cost of its
// bracket, plus context (select list, join condition), open CASEs and the LIKE chain so far.
const MAX_PARSE_DEPTH: u32 = 255;
const BASE_DEPTH: u32 = 48;
const COST_BRACKET: u32 = 16;
/// A bracket that is the operand of `AND`/`OR`/`NOT`/an operator.
const COST_OPERAND_BRACKET: u32 = 19;
const COST_CALL: u32 = 25;
/// A function call that is a whole select-list element.
const COST_SELECT_CALL: u32 = 9;
/// A bracket right after `WHERE`/`HAVING`/`QUALIFY`/`ON`.
const COST_CLAUSE_BRACKET: u32 = 2;
/// Extra depth of select-list elements and of join conditions.
const CTX_SELECT_LIST: u32 = 8;
const CTX_JOIN_ON: u32 = 17;
const COST_SUBQUERY: u32 = 25;
const COST_EXISTS_SUBQUERY: u32 = 27;
const COST_IN_SUBQUERY: u32 = 33;
const COST_FROM_SUBQUERY: u32 = 30;
const COST_CTE: u32 = 12;
const COST_CASE: u32 = 19;
/// sqlfluff parses the rest of an expression after `LIKE`/`ILIKE`/... one level deeper.
const COST_LIKE: u32 = 6;

struct Level {
    open: Open,
    stmt: Stmt,
    clause: u8,
    in_from: bool,
    expect: Expect,
    /// What the parent expects once this level closes.
    on_close: Expect,
    /// A `UNION`-like operator is waiting for its right-hand `SELECT`.
    setop: bool,
    /// `MERGE INTO` target / `USING` source already read.
    merge_into: bool,
    merge_using: bool,
    /// Any token seen in the current statement of this level.
    started: bool,
    /// The `(` was a function call's (empty arguments are then errors).
    call: bool,
    /// Inside `MATCH_RECOGNIZE`'s `PATTERN(...)`, a regular expression over row names.
    pattern: bool,
    /// Token index of the opening bracket.
    open_at: usize,
    /// Estimated sqlfluff depth at this level's start (parent's depth plus the bracket's cost).
    base: u32,
    /// Cost this level added to its parent's depth.
    cost: u32,
    /// Inside a join's `ON` condition.
    on_expr: bool,
    /// The current from-item follows `JOIN`.
    joined: bool,
    /// A bracketed from-item after `JOIN`: it may not contain a join.
    no_join: bool,
    /// `NATURAL` seen before the next `JOIN`; the current join is natural.
    natural_next: bool,
    natural_join: bool,
    /// The current from-item has a `CHANGES(...)` clause.
    changes: bool,
    /// Depth added by the `CASE` blocks open at this level (and the `LIKE` chains around them).
    frozen: u32,
    /// `LIKE`-family operators so far in the current expression at this level.
    likes: u32,
}

impl Level {
    /// Estimated sqlfluff depth of a token at this level.
    fn depth(&self) -> u32 {
        let context = if self.on_expr {
            CTX_JOIN_ON
        } else if self.stmt == Stmt::Select && self.clause == C_SELECT && !self.setop {
            CTX_SELECT_LIST
        } else {
            0
        };
        self.base
            .saturating_add(context)
            .saturating_add(self.frozen)
            .saturating_add(self.likes.saturating_mul(COST_LIKE))
    }

    fn new(open: Open, expect: Expect, on_close: Expect) -> Level {
        Level {
            open,
            stmt: Stmt::None,
            clause: C_SELECT,
            in_from: false,
            expect,
            on_close,
            setop: false,
            merge_into: false,
            merge_using: false,
            started: false,
            call: false,
            pattern: false,
            open_at: 0,
            base: 0,
            cost: 0,
            on_expr: false,
            joined: false,
            no_join: false,
            natural_next: false,
            natural_join: false,
            changes: false,
            frozen: 0,
            likes: 0,
        }
    }
}

struct Scanner<'a> {
    src: &'a str,
    toks: &'a [Tok],
    levels: Vec<Level>,
    tables: Vec<TableRef>,
    /// CTE names as PAT's `get_aliases` sees them (`None`: a key nothing can equal).
    ctes: Vec<Option<RefKey>>,
    /// Token index of the CTE name being read.
    cte_name_tok: usize,
    /// Trivia segments between that CTE's children: whitespace, newline, inline and block comments.
    cte_trivia: [u32; 4],
    max_depth: u32,
    /// Open `CASE` blocks: (level index, saved `likes`, saved `frozen`).
    cases: Vec<(usize, u32, u32)>,
}

impl<'a> Scanner<'a> {
    fn new(src: &'a str, toks: &'a [Tok]) -> Scanner<'a> {
        Scanner {
            src,
            toks,
            levels: vec![Level::new(Open::Root, Expect::Normal, Expect::Normal)],
            tables: Vec::new(),
            ctes: Vec::new(),
            cte_name_tok: 0,
            cte_trivia: [0; 4],
            max_depth: 0,
            cases: Vec::new(),
        }
    }

    fn text(&self, i: usize) -> &'a str {
        let t = self.toks[i];
        &self.src[t.s as usize..t.e as usize]
    }

    fn kind(&self, i: usize) -> Option<K> {
        self.toks.get(i).map(|t| t.k)
    }

    fn kw(&self, i: usize) -> Kw {
        match self.toks.get(i) {
            Some(t) if t.k == K::Word => keyword(self.text(i)),
            _ => Kw::Other,
        }
    }

    /// Token `i` can name something (a CTE, an alias): a quoted identifier or a word that is not
    /// reserved.
    fn is_name(&self, i: usize) -> bool {
        match self.toks[i].k {
            K::Quoted => true,
            K::Word => !is_reserved(self.text(i)),
            _ => false,
        }
    }

    /// No whitespace or comment between tokens `i` and `i + 1`.
    fn adjacent(&self, i: usize) -> bool {
        self.toks[i].e == self.toks[i + 1].s
    }

    fn top(&mut self) -> &mut Level {
        // The root level is never popped.
        let n = self.levels.len();
        &mut self.levels[n - 1]
    }

    fn push(&mut self, open: Open, expect: Expect, on_close: Expect, cost: u32) {
        let mut level = Level::new(open, expect, on_close);
        level.cost = cost;
        level.base = self.top().depth().saturating_add(cost);
        self.max_depth = self.max_depth.max(level.base);
        self.levels.push(level);
    }

    /// Re-prices the innermost bracket once we know what it holds (e.g. a subquery).
    fn set_cost(&mut self, cost: u32) {
        let top = self.top();
        top.base = top.base.saturating_sub(top.cost).saturating_add(cost);
        top.cost = cost;
        let d = top.base;
        self.max_depth = self.max_depth.max(d);
    }

    fn note_depth(&mut self) {
        let d = self.top().depth();
        self.max_depth = self.max_depth.max(d);
    }

    fn run(&mut self) -> Option<()> {
        let mut i = 0;
        while i < self.toks.len() {
            i = self.step(i)?;
            if BASE_DEPTH.saturating_add(self.max_depth) > MAX_PARSE_DEPTH {
                // sqlfluff gives up here too; stopping early also bounds the level stack.
                return None;
            }
        }
        if self.levels.len() != 1 {
            return None; // unclosed bracket
        }
        self.end_statement(self.toks.len())?;
        (BASE_DEPTH.saturating_add(self.max_depth) <= MAX_PARSE_DEPTH).then_some(())
    }

    /// Handles the token at `i` as the innermost level expects; returns the index of the next
    /// unhandled token, or `None` where sqlfluff would not parse the query.
    fn step(&mut self, i: usize) -> Option<usize> {
        match self.top().expect {
            Expect::Normal => self.general(i),
            Expect::FromItem => self.read_from_item(i),
            Expect::FuncArgs => self.func_args(i),
            Expect::AliasName => self.alias_name(i),
            Expect::AfterItem { alias } => self.after_item(i, alias),
            Expect::CteName => self.cte_name(i),
            Expect::CteAfterName { cols } => self.cte_after_name(i, cols),
            Expect::CteBody => self.cte_body_open(i),
            Expect::CteNext => self.cte_next(i),
        }
    }

    /// Checks that the statement (or bracket) ending before token `i` is complete.
    fn end_statement(&mut self, i: usize) -> Option<()> {
        let top = self.top();
        if !matches!(top.expect, Expect::Normal | Expect::AfterItem { .. }) || top.setop {
            return None;
        }
        if i == 0 && !self.toks.is_empty() {
            return None; // the query starts with `;`
        }
        let Some(p) = i.checked_sub(1) else {
            return Some(());
        };
        let at_root = self.top().open == Open::Root;
        let dangling = match self.toks[p].k {
            // Inside brackets operators may legitimately end a group (`PATTERN(a b+)`).
            K::BinOp | K::Op => at_root,
            K::Dot => true,
            K::Comma => self.top().open == Open::Root,
            K::Word => matches!(
                self.kw(p),
                Kw::Select
                    | Kw::From
                    | Kw::Join
                    | Kw::JoinMod
                    | Kw::On
                    | Kw::Using
                    | Kw::Where
                    | Kw::Having
                    | Kw::Qualify
                    | Kw::Limit
                    | Kw::Offset
                    | Kw::By
                    | Kw::SetOp
                    | Kw::Into
                    | Kw::As
                    | Kw::Set
                    | Kw::Dangling
                    | Kw::Distinct
                    | Kw::Like
                    | Kw::Case
                    | Kw::Then
                    | Kw::In
            ),
            _ => false,
        };
        if dangling {
            return None;
        }
        Some(())
    }
}
