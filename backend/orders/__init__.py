"""Orders: placing, paying, shipping, cancelling and returning orders; retail customers."""
