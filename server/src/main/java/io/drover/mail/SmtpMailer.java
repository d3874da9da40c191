package io.drover.mail;

import jakarta.mail.Authenticator;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP delivery (Jakarta Mail), chosen when {@code DROVER_SMTP_HOST} is set. A message that cannot
 * be sent falls back to the outbox, so no invitation is lost to a mail outage.
 * Settings: DROVER_SMTP_HOST, DROVER_SMTP_PORT (587), DROVER_SMTP_USER, DROVER_SMTP_PASSWORD,
 * DROVER_SMTP_FROM, DROVER_SMTP_STARTTLS (true).
 */
public final class SmtpMailer implements Mailer {
    private static final Logger log = LoggerFactory.getLogger(SmtpMailer.class);
    private final Session session;
    private final String from;
    private final OutboxMailer fallback = new OutboxMailer();

    public SmtpMailer(Map<String, String> env) {
        Properties p = new Properties();
        p.put("mail.smtp.host", env.get("DROVER_SMTP_HOST"));
        p.put("mail.smtp.port", env.getOrDefault("DROVER_SMTP_PORT", "587"));
        p.put("mail.smtp.starttls.enable", env.getOrDefault("DROVER_SMTP_STARTTLS", "true"));
        p.put("mail.smtp.connectiontimeout", "10000");
        p.put("mail.smtp.timeout", "10000");
        String user = env.get("DROVER_SMTP_USER");
        Authenticator auth = null;
        if (user != null && !user.isBlank()) {
            p.put("mail.smtp.auth", "true");
            String password = env.getOrDefault("DROVER_SMTP_PASSWORD", "");
            auth = new Authenticator() {
                @Override
                protected PasswordAuthentication getPasswordAuthentication() {
                    return new PasswordAuthentication(user, password);
                }
            };
        }
        this.session = Session.getInstance(p, auth);
        this.from = env.getOrDefault("DROVER_SMTP_FROM", "drover@localhost");
    }

    /** SMTP when configured, else the outbox. */
    public static Mailer fromEnv(Map<String, String> env) {
        String host = env.get("DROVER_SMTP_HOST");
        return host == null || host.isBlank() ? new OutboxMailer() : new SmtpMailer(env);
    }

    @Override
    public void send(Connection c, Mail mail) throws SQLException {
        try {
            MimeMessage m = new MimeMessage(session);
            m.setFrom(new InternetAddress(from));
            m.setRecipients(Message.RecipientType.TO, InternetAddress.parse(mail.to()));
            m.setSubject(mail.subject());
            m.setText(mail.body());
            Transport.send(m);
            log.info("mail to {} ('{}') sent by SMTP", mail.to(), mail.subject());
        } catch (MessagingException e) {
            log.warn("SMTP send to {} failed ({}); writing it to the outbox", mail.to(), e.getMessage());
            fallback.send(c, mail);
        }
    }
}
