package io.opsflow.step.ssh;

import java.util.List;

/** Strings that break naive command building. Every one must reach the remote program unchanged. */
final class HostileCorpus {
    private HostileCorpus() {
    }

    static final List<String> WORDS = List.of(
            "", " ", "  two  spaces  ", "a b", "\t", "tab\there", "\r", "cr\rlf\n",
            "'", "''", "\"", "it's", "a'b'c", "'\"'\"'", "\"$HOME\"", "'$HOME'",
            "$(id)", "$(touch /tmp/opsflow-pwned)", "`id`", "`touch /tmp/opsflow-pwned`", "${HOME}", "$HOME", "$0",
            "$@", "$*", "$?", "$$", "$'\\x41'", "$((1+1))",
            "\\", "\\\\", "\\n", "\\'", "a\\", "a\nb", "\n", "\n\n", "line1\nline2\n$(id)\n",
            "*", "?", "[a-z]*", "/*", ".*", "**/*", "~", "~root", "~/x", "a~b",
            "-rf", "--", "-", "--help=x", "-n", "-e", "--option=$(id)",
            ";", ";;", "&&", "||", "|", "&", "& echo pwned", "; rm -rf /tmp/opsflow-not-there", ">out", ">>out",
            "<in", "2>&1", "<(id)", "#comment", "a#b", "# x",
            "!", "!!", "!$", "{a,b}", "{1..3}", "=ls", "x=y", "%1", "^", "(", ")", "()", "{", "}", "[", "]",
            "é ü 日本 🚀", "\u00a0nbsp", "\u0001\u0007\u001b[31mred", "\u2028sep",
            "a".repeat(5000) + "'" + "$(id)".repeat(100));
}
