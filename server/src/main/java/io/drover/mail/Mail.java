package io.drover.mail;

/** One plain-text message. */
public record Mail(String to, String subject, String body) {}
