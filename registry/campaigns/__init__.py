"""Door-to-door campaigns: shops collected on paper are uploaded in bulk, invited to claim their
entry with a code, and their letters and badge posters are printed in bulk."""
