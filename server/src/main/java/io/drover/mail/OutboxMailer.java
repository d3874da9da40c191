package io.drover.mail;

import io.drover.store.Query;
import io.drover.store.Sql;
import io.drover.store.UuidV7;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mailer when no SMTP server is configured: the message goes to the {@code mail_outbox} table
 * for an operator to deliver, and the log says so. The log line names recipient and subject but
 * not the body: bodies hold single-use tokens, and tokens are never logged.
 */
public final class OutboxMailer implements Mailer {
    private static final Logger log = LoggerFactory.getLogger(OutboxMailer.class);
    private static final Sql SQL = Sql.load("/sql/mail.sql");

    @Override
    public void send(Connection c, Mail mail) throws SQLException {
        UUID id = UuidV7.next();
        try (Query q = SQL.prepare(c, "insert_mail")) {
            q.set("id", id).set("recipient", mail.to()).set("subject", mail.subject()).set("body", mail.body())
                    .update();
        }
        log.info("mail to {} ('{}') written to the outbox as {} (no SMTP configured; "
                + "SELECT body FROM mail_outbox WHERE id = '{}' to deliver it)", mail.to(), mail.subject(), id, id);
    }
}
