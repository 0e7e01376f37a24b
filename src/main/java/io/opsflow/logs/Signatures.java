package io.opsflow.logs;

import java.util.regex.Pattern;

/**
 * The signature of an error message: the message with what differs between occurrences folded, so the same fault
 * counts once: time stamps {@code <ts>}, UUIDs {@code <uuid>}, IP addresses {@code <ip>}, long hex ids
 * {@code <hex>}, e-mail addresses {@code <email>}, numbers {@code <n>}; whitespace collapsed; at most
 * {@value #MAX} characters. Applied to bounded text only (lines are cut before), with patterns that cannot
 * backtrack catastrophically.
 */
final class Signatures {
    static final int MAX = 200;
    private static final Pattern TIMESTAMP = Pattern.compile(
            "\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(?:[.,]\\d{1,9})?(?:Z|[+-]\\d{2}:?\\d{2})?");
    private static final Pattern UUID = Pattern.compile(
            "(?i)\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b");
    private static final Pattern IP = Pattern.compile("\\b\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{1,5})?\\b");
    private static final Pattern EMAIL = Pattern.compile("\\b[\\w.+-]{1,64}@[\\w-]{1,63}(?:\\.[\\w-]{1,63}){1,5}\\b");
    private static final Pattern HEX = Pattern.compile("\\b(?:0x)?[0-9a-fA-F]{8,}\\b");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\w<])[-+]?\\d+(?:\\.\\d+)?");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    private Signatures() {
    }

    static String of(String message) {
        String s = message.length() > 1000 ? message.substring(0, 1000) : message;
        s = TIMESTAMP.matcher(s).replaceAll("<ts>");
        s = UUID.matcher(s).replaceAll("<uuid>");
        s = IP.matcher(s).replaceAll("<ip>");
        s = EMAIL.matcher(s).replaceAll("<email>");
        s = hex(s);
        s = NUMBER.matcher(s).replaceAll("<n>");
        s = SPACE.matcher(s).replaceAll(" ").strip();
        return s.length() > MAX ? s.substring(0, MAX) + "…" : s;
    }

    /** Hex-looking words of 8 or more characters that mix letters and digits (ids, hashes). */
    private static String hex(String s) {
        var m = HEX.matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String w = m.group();
            boolean letters = w.chars().anyMatch(Character::isLetter);
            boolean digits = w.chars().anyMatch(Character::isDigit);
            m.appendReplacement(b, letters && digits ? "<hex>" : java.util.regex.Matcher.quoteReplacement(w));
        }
        m.appendTail(b);
        return b.toString();
    }
}
