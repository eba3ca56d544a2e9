"""The council step (bình xét): sessions, agenda, attendance, the secret ballot and the close."""
