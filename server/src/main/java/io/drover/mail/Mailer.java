package io.drover.mail;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The one seam every message goes through (invitations, password resets). Called inside the
 * transaction that creates the token, so a message exists exactly when its token does.
 */
public interface Mailer {
    void send(Connection c, Mail mail) throws SQLException;
}
