"""The browser UI's views besides the chat itself: saved chats and exports, who said what, the articles at hand.

Each module holds a view's rendering (pure functions, unit-tested without a browser) and its Gradio wiring;
qa/app.py stays the entry point that puts them in tabs.
"""
