//! The company's service hotline (服务热线, `--service-hotline`), checked when the server
//! starts: sent to the phones with the technician's card ([`crate::desk::card`]) and printed
//! on the customer's copy (004 一 第8章 第29条: the service telephone made public).

/// The most characters a service hotline may have.
pub const MAX_HOTLINE: usize = 32;

/// Reads `--service-hotline`: digits with `+`, `-`, spaces or parentheses, 3 to
/// [`MAX_HOTLINE`] characters (e.g. `400-820-8820`, `+86 10 8888 6666`).
pub fn parse_hotline(s: &str) -> Result<String, String> {
    let t = s.trim();
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if digits < 3
        || t.chars().count() > MAX_HOTLINE
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')'))
    {
        return Err(format!(
            "a service hotline is 3 to {MAX_HOTLINE} characters: digits, +, -, spaces, parentheses"
        ));
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotlines_are_phone_numbers() {
        assert_eq!(parse_hotline(" 400-820-8820 ").unwrap(), "400-820-8820");
        assert_eq!(
            parse_hotline("+86 (10) 8888 6666").unwrap(),
            "+86 (10) 8888 6666"
        );
        for bad in [
            "",
            "12",
            "400-CALL-NOW",
            "4008208820<script>",
            &"1".repeat(33),
        ] {
            assert!(parse_hotline(bad).is_err(), "{bad:?}");
        }
    }
}
