package io.opsflow.step.exec;

import java.util.ArrayDeque;
import java.util.Deque;

/** Keeps the last {@code maxChars} characters of a stream of lines, whole lines only. Thread-safe. */
final class TailBuffer {
    private final int maxChars;
    private final Deque<String> lines = new ArrayDeque<>();
    private int chars;

    TailBuffer(int maxChars) {
        this.maxChars = maxChars;
    }

    synchronized void add(String line) {
        String l = line.length() > maxChars ? line.substring(line.length() - maxChars) : line;
        lines.addLast(l);
        chars += l.length() + 1;
        while (chars > maxChars && lines.size() > 1) {
            chars -= lines.removeFirst().length() + 1;
        }
    }

    synchronized String text() {
        return String.join("\n", lines);
    }
}
