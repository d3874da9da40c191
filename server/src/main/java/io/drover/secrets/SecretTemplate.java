package io.drover.secrets;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code {{secrets.NAME}}} in a header value, replaced by the secret's value; an unknown name is an error. */
public final class SecretTemplate {
    public static final Pattern REF = Pattern.compile("\\{\\{\\s*secrets\\.([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

    private SecretTemplate() {}

    public static boolean hasRefs(String text) {
        return text != null && REF.matcher(text).find();
    }

    public static String render(String text, Map<String, String> secrets) {
        Matcher m = REF.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = secrets.get(m.group(1));
            if (value == null) {
                throw new IllegalArgumentException("unknown secret '" + m.group(1) + "'");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
