//! sqlfluff's Snowflake lexer, as far as the table-name check needs it: tokens with their kinds
//! and byte ranges, and the classes of the keywords the scanner cares about.
//!
//! Invariant: whatever sqlfluff cannot lex (an unterminated string, quoted identifier or block
//! comment; non-ASCII outside strings and comments; `` ` ``, `\`; words like `90m`, `0x1f`
//! or `1_000`) makes `lex` return `None`. It never panics and keeps every range on a character
//! boundary.

/// A token's kind.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum K {
    Word,
    Quoted,
    Str,
    Num,
    /// `$name`, `$1`, `$a.b` (sqlfluff's `variable`).
    Var,
    /// `@stage/path`.
    Stage,
    LParen,
    RParen,
    LBrack,
    RBrack,
    LBrace,
    RBrace,
    Comma,
    Dot,
    Semi,
    Star,
    /// Operators that need a right-hand operand (`=`, `<`, `+`, `::`, `:`, `=>`, ...).
    BinOp,
    /// Other operator characters (`-`, `~`, `!`, ...).
    Op,
    /// `?`: only valid in a `MATCH_RECOGNIZE` pattern.
    Question,
}

/// A token: its kind and its byte range in the rendered text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tok {
    /// Its kind.
    pub(super) k: K,
    /// Byte offset of its start.
    pub(super) s: u32,
    /// Byte offset past its end.
    pub(super) e: u32,
}

/// The tokens of `src` (comments and whitespace dropped), or `None` where sqlfluff's lexer
/// fails or its parser would.
pub(super) fn lex(src: &str) -> Option<Vec<Tok>> {
    let b = src.as_bytes();
    if b.len() >= u32::MAX as usize {
        return None;
    }
    let mut toks = Vec::with_capacity(b.len() / 4 + 1);
    let mut i = 0;
    let word_char = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let c = b[i];
        let start = i;
        let next = b.get(i + 1).copied();
        let k = match c {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1c..=0x1f => {
                i += 1;
                continue;
            }
            b'-' if next == Some(b'-') => {
                i = skip_line(b, i);
                continue;
            }
            b'/' if next == Some(b'/') => {
                i = skip_line(b, i);
                continue;
            }
            b'#' => {
                i = skip_line(b, i);
                continue;
            }
            b'/' if next == Some(b'*') => {
                let end = find(b, i + 2, b"*/")?;
                i = end + 2;
                continue;
            }
            b'\'' => {
                i = skip_quoted(b, i, b'\'')?;
                K::Str
            }
            b'"' => {
                i = skip_quoted(b, i, b'"')?;
                K::Quoted
            }
            b'$' => {
                if let Some(end) = dollar_quote_end(b, i) {
                    i = end;
                    K::Str
                } else {
                    i += 1;
                    while i < b.len() && (word_char(b[i]) || b[i] == b'.') {
                        i += 1;
                    }
                    K::Var
                }
            }
            b'@' => {
                i += 1;
                while i < b.len() && !matches!(b[i], b';' | b')') && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                // A stage path may run into non-ASCII text; keep it on a char boundary.
                while !src.is_char_boundary(i) {
                    i += 1;
                }
                K::Stage
            }
            b'0'..=b'9' => {
                i = lex_number(b, i)?;
                K::Num
            }
            b'.' if next.is_some_and(|n| n.is_ascii_digit()) => {
                i = lex_number(b, i)?;
                K::Num
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < b.len() && (word_char(b[i]) || b[i] == b'$') {
                    i += 1;
                }
                K::Word
            }
            b'(' => {
                i += 1;
                K::LParen
            }
            b')' => {
                i += 1;
                K::RParen
            }
            b'[' => {
                i += 1;
                K::LBrack
            }
            b']' => {
                i += 1;
                K::RBrack
            }
            b'{' => {
                i += 1;
                K::LBrace
            }
            b'}' => {
                i += 1;
                K::RBrace
            }
            b',' => {
                i += 1;
                K::Comma
            }
            b'.' => {
                i += 1;
                K::Dot
            }
            b';' => {
                i += 1;
                K::Semi
            }
            b'*' => {
                i += 1;
                K::Star
            }
            b':' | b'=' | b'<' | b'>' | b'+' | b'/' | b'%' | b'&' | b'|' | b'^' => {
                i += 1;
                while i < b.len() && matches!(b[i], b':' | b'=' | b'<' | b'>' | b'|' | b'&') {
                    i += 1;
                }
                K::BinOp
            }
            b'!' | b'~' | b'-' => {
                i += 1;
                while i < b.len() && matches!(b[i], b'=' | b'~' | b'*' | b'>') {
                    i += 1;
                }
                if i - start > 1 && b[start] != b'~' {
                    K::BinOp
                } else {
                    K::Op
                }
            }
            _ if c >= 0x80 => {
                // Non-ASCII outside strings/comments: only Unicode whitespace lexes.
                let ch = src[i..].chars().next()?;
                if ch.is_whitespace() {
                    i += ch.len_utf8();
                    continue;
                }
                return None;
            }
            b'?' => {
                i += 1;
                K::Question
            }
            // Backquote, backslash, control characters: unlexable or unparsable.
            _ => return None,
        };
        toks.push(Tok {
            k,
            s: start as u32,
            e: i as u32,
        });
    }
    Some(toks)
}

/// The offset of the end of the line (its `\n`, or the end of the text) from `i`.
pub(super) fn skip_line(b: &[u8], i: usize) -> usize {
    b[i..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |p| i + p)
}

/// The offset of the first `pat` at or after `from`.
pub(super) fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    b[from..]
        .windows(pat.len())
        .position(|w| w == pat)
        .map(|p| from + p)
}

/// `'...'` (with `''` and backslash escapes) or `"..."`; returns the end offset.
fn skip_quoted(b: &[u8], i: usize, q: u8) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => {
                // `\\.` in sqlfluff's pattern: `.` does not match a newline.
                if b.get(j + 1).is_none_or(|&c| c == b'\n') {
                    return None;
                }
                j += 2;
            }
            c if c == q => {
                if b.get(j + 1) == Some(&q) {
                    j += 2;
                } else {
                    return Some(j + 1);
                }
            }
            _ => j += 1,
        }
    }
    None
}

/// `$tag$ ... $tag$` on one line (ANSI `dollar_quote`); returns the end offset.
fn dollar_quote_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
        j += 1;
    }
    if b.get(j) != Some(&b'$') {
        return None;
    }
    let tag = &b[i..=j];
    let mut k = j + 1;
    while k + tag.len() <= b.len() && b[k] != b'\n' {
        if &b[k..k + tag.len()] == tag {
            return Some(k + tag.len());
        }
        k += 1;
    }
    None
}

/// A numeric literal; `None` when digits run into letters (`90m`, `0x1f`, `1_000`).
fn lex_number(b: &[u8], mut i: usize) -> Option<usize> {
    let digits = |b: &[u8], mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(b, i);
    let mut ends_with_dot = false;
    if b.get(i) == Some(&b'.') {
        if b.get(i + 1).is_some_and(|c| c.is_ascii_digit()) {
            i = digits(b, i + 1);
        } else if !b
            .get(i + 1)
            .is_some_and(|&c| c == b'.' || c.is_ascii_alphanumeric() || c == b'_')
        {
            i += 1;
            ends_with_dot = true;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if b.get(j).is_some_and(|c| c.is_ascii_digit()) {
            i = digits(b, j);
            ends_with_dot = false;
        }
    }
    let next_is_word = b
        .get(i)
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80);
    if next_is_word && !ends_with_dot {
        return None;
    }
    Some(i)
}

// -- Keywords ----------------------------------------------------------------------------------

/// The keywords the scanner tells apart (a word's class, case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Kw {
    Select,
    With,
    Recursive,
    From,
    Join,
    JoinMod,
    On,
    Using,
    Where,
    Group,
    Having,
    Qualify,
    Order,
    Limit,
    Offset,
    Fetch,
    By,
    SetOp,
    Insert,
    Into,
    Overwrite,
    Update,
    Delete,
    Merge,
    Set,
    As,
    Distinct,
    Lateral,
    Table,
    Identifier,
    /// Keywords that take `(...)` right after a from-item.
    Modifier,
    Sample,
    /// Other words that may follow a from-item (`WHEN`, `VALUES`, `WINDOW`, ...).
    Follower,
    /// `LIKE`, `ILIKE`, `RLIKE`, `REGEXP`.
    Like,
    For,
    Case,
    /// `THEN`, `ELSE`.
    Then,
    End,
    In,
    Exists,
    /// Other words that cannot end a statement or precede `)` (`AND`, `OR`, `IS`, ...).
    Dangling,
    Other,
}

/// The class of a word.
pub(super) fn keyword(word: &str) -> Kw {
    if word.len() > 16 {
        return Kw::Other;
    }
    let mut buf = [0u8; 16];
    let up = &mut buf[..word.len()];
    up.copy_from_slice(word.as_bytes());
    up.make_ascii_uppercase();
    match &*up {
        b"SELECT" => Kw::Select,
        b"WITH" => Kw::With,
        b"RECURSIVE" => Kw::Recursive,
        b"FROM" => Kw::From,
        b"JOIN" => Kw::Join,
        b"INNER" | b"LEFT" | b"RIGHT" | b"FULL" | b"OUTER" | b"CROSS" | b"NATURAL" | b"ASOF" => {
            Kw::JoinMod
        }
        b"ON" => Kw::On,
        b"USING" => Kw::Using,
        b"WHERE" => Kw::Where,
        b"GROUP" => Kw::Group,
        b"HAVING" => Kw::Having,
        b"QUALIFY" => Kw::Qualify,
        b"ORDER" => Kw::Order,
        b"LIMIT" => Kw::Limit,
        b"OFFSET" => Kw::Offset,
        b"FETCH" => Kw::Fetch,
        b"BY" => Kw::By,
        b"UNION" | b"INTERSECT" | b"EXCEPT" | b"MINUS" => Kw::SetOp,
        b"INSERT" => Kw::Insert,
        b"INTO" => Kw::Into,
        b"OVERWRITE" => Kw::Overwrite,
        b"UPDATE" => Kw::Update,
        b"DELETE" => Kw::Delete,
        b"MERGE" => Kw::Merge,
        b"SET" => Kw::Set,
        b"AS" => Kw::As,
        b"DISTINCT" => Kw::Distinct,
        b"LATERAL" => Kw::Lateral,
        b"TABLE" => Kw::Table,
        b"IDENTIFIER" => Kw::Identifier,
        b"END" => Kw::End,
        b"AT" | b"BEFORE" | b"CHANGES" | b"PIVOT" | b"UNPIVOT" | b"MATCH_RECOGNIZE"
        | b"MATCH_CONDITION" | b"SEED" | b"REPEATABLE" => Kw::Modifier,
        b"SAMPLE" | b"TABLESAMPLE" => Kw::Sample,
        b"WHEN" | b"VALUES" | b"WINDOW" | b"START" | b"CONNECT" => Kw::Follower,
        b"FOR" => Kw::For,
        b"LIKE" | b"ILIKE" | b"RLIKE" | b"REGEXP" => Kw::Like,
        b"CASE" => Kw::Case,
        b"THEN" | b"ELSE" => Kw::Then,
        b"IN" => Kw::In,
        b"EXISTS" => Kw::Exists,
        b"AND" | b"OR" | b"NOT" | b"IS" | b"BETWEEN" => Kw::Dangling,
        _ => Kw::Other,
    }
}

/// Snowflake's reserved words: never a table name or alias without quotes.
pub(super) fn is_reserved(word: &str) -> bool {
    #[rustfmt::skip]
    const RESERVED: &[&str] = &[
        "ALL", "ALTER", "AND", "ANY", "AS", "ASOF", "BEARER", "BEARER_TOKEN", "BETWEEN", "BY",
        "CAST", "CHECK", "CONNECT", "CONNECTION", "CONSTRAINT", "CREATE", "CURRENT", "CURRENT_DATE",
        "CURRENT_TIME", "CURRENT_TIMESTAMP", "DECLARE", "DEFAULT", "DEFINE", "DELETE", "DISTINCT",
        "DROP", "ELSE", "ELSEIF", "EXISTS", "FOLLOWING", "FOR", "FROM", "FULL", "GRANT", "GROUP",
        "GSCLUSTER", "HAVING", "HYBRID", "ILIKE", "IN", "INCREMENT", "INNER", "INSERT",
        "INSERT_ONLY", "INTERSECT", "INTO", "IS", "JOIN", "LATERAL", "LEFT", "LIKE", "LOCALTIME",
        "LOCALTIMESTAMP", "MATCH_CONDITION", "MATCH_RECOGNIZE", "MINUS", "NATURAL", "NOT", "NULL",
        "NULL_IF", "OF", "ON", "OR", "ORDER", "QUALIFY", "RAISE", "REGEXP", "REVOKE", "RIGHT",
        "RLIKE", "ROW", "ROWS", "SAMPLE", "SELECT", "SET", "SOME", "START", "STRICT", "TABLE",
        "TABLESAMPLE", "THEN", "TO", "TRIGGER", "TRY_CAST", "UNION", "UNIQUE", "UNPIVOT", "UPDATE",
        "USING", "VALUES", "WHEN", "WHENEVER", "WHERE", "WITH",
    ];
    word.len() <= 17 && RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}
