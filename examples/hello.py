"""The smallest botkit bot: it greets you back.

    botkit run examples/hello.py
"""

from botkit import TurnContext, create_bot

bot = create_bot(name="hello")


@bot.on_mention
async def greet(ctx: TurnContext) -> None:
    await ctx.thread.post(f"Hello, {ctx.message.user.display_name}! You said: {ctx.text}")
