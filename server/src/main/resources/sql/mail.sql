-- The mail outbox, used when no SMTP server is configured.

-- name: insert_mail
INSERT INTO mail_outbox (id, recipient, subject, body) VALUES (:id, :recipient, :subject, :body)
