"""What the directory tells other apps without knowing them."""

from django.dispatch import Signal

# Sent by services.provider_seed after each batch of demo providers is written, inside its
# transaction: `numbers`, the range of their demo numbers (demo.demo_npi). The practitioners
# app gives a share of them a demo owner, so the demo directory has listings that accept
# consultation requests.
demo_providers_seeded = Signal()
