"""Text primitives shared by every stage: tokens and stems, sentences, dates, overlap measures."""
