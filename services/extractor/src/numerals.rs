//! Chinese numerals as written in reports: 十八, 二十一, 一千二百, 两万, 〇,
//! and mixed forms with Arabic digits.

fn digit(c: char) -> Option<u64> {
    Some(match c {
        '〇' | '零' | 'O' => 0,
        '一' | '壹' => 1,
        '二' | '两' | '贰' => 2,
        '三' | '叁' => 3,
        '四' | '肆' => 4,
        '五' | '伍' => 5,
        '六' | '陆' => 6,
        '七' | '柒' => 7,
        '八' | '捌' => 8,
        '九' | '玖' => 9,
        c if c.is_ascii_digit() => c as u64 - '0' as u64,
        _ => return None,
    })
}

fn unit(c: char) -> Option<u64> {
    Some(match c {
        '十' | '拾' => 10,
        '百' | '佰' => 100,
        '千' | '仟' => 1_000,
        _ => return None,
    })
}

/// An integer written in Chinese (or Arabic) digits, or `None` when `s` is
/// not wholly a number. Handles 万 and 亿 sections; overflow gives `None`.
pub fn parse_integer(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.chars().all(|c| c.is_ascii_digit()) {
        return s.parse().ok();
    }
    let mut total: u64 = 0;
    let mut section: u64 = 0;
    let mut number: Option<u64> = None;
    // Digits written positionally (二〇二四) rather than with units.
    if s.chars().all(|c| digit(c).is_some()) {
        return s
            .chars()
            .try_fold(0u64, |acc, c| acc.checked_mul(10)?.checked_add(digit(c)?));
    }
    for c in s.chars() {
        if let Some(d) = digit(c) {
            number = Some(number.unwrap_or(0).checked_mul(10)?.checked_add(d)?);
        } else if let Some(u) = unit(c) {
            section = section.checked_add(number.unwrap_or(1).checked_mul(u)?)?;
            number = None;
        } else if c == '万' || c == '亿' {
            let big = if c == '万' { 10_000 } else { 100_000_000 };
            let value = section.checked_add(number.unwrap_or(0))?;
            total = total.checked_add(value.max(if value == 0 { 1 } else { 0 }).checked_mul(big)?)?;
            section = 0;
            number = None;
        } else {
            return None;
        }
    }
    total.checked_add(section)?.checked_add(number.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_forms() {
        for (s, n) in [
            ("十", 10),
            ("十八", 18),
            ("二十一", 21),
            ("一百零五", 105),
            ("一千二百", 1200),
            ("两万", 20_000),
            ("三万五千", 35_000),
            ("二〇二四", 2024),
            ("18", 18),
            ("第", 0),
        ] {
            if s == "第" {
                assert_eq!(parse_integer(s), None);
            } else {
                assert_eq!(parse_integer(s), Some(n), "{s}");
            }
        }
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(parse_integer(&"9".repeat(40)), None);
        assert_eq!(parse_integer(&"九".repeat(40)), None);
    }
}
