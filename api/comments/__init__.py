"""Comments and pingbacks: intake, the rules that judge them, the moderation queue."""
