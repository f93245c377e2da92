"""Settings of the payments API (example code with a planted problem)."""
import os

DATABASE_URL = os.environ["PAYMENTS_DATABASE_URL"]

# Planted secret: a Stripe live secret key committed to the repository.
# Tollgate's secrets gate allows no bypass: the key must be rotated and removed.
STRIPE_SECRET_KEY = "sk_live_51NfQ2vKx8TzR4mWq7YbLp3Hc9DgJ5eUaVn6Xo2Ks"
