#!/usr/bin/env python3
"""Build samples/prompts.train.jsonl and samples/prompts.eval.jsonl.

Every prompt below was written by hand for eagleprep (CC0). The script only
assigns ids, attaches system messages, splits train/eval deterministically and
writes UTF-8 JSONL; it downloads nothing and reads no dataset.

    python3 samples/make_samples.py          # (re)write both files, then validate them
    python3 samples/make_samples.py --check  # validate the existing files only
"""
import json
import os
import random
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
ENTRIES = []

CONCISE = "You are a concise assistant."


def add(cat, *turns, sys=None, lang="en"):
    """turns alternate user, assistant, user, ...; an odd count, ending with the user."""
    ENTRIES.append({"cat": cat, "lang": lang, "sys": sys,
                    "turns": [t.strip() for t in turns]})


# ---------------------------------------------------------------- writing
W = "writing"
add(W,
    "Write a haiku about a dripping kitchen tap.",
    "Midnight kitchen hush —\none silver drop, then the next,\ncounting out the dark.",
    "Lovely. Now one about the plumber who finally fixes it.")
add(W, """Write an email to my landlord, Mr Okafor. The heating in flat 3B has not worked since 3 February. I've reported it twice by phone. I want a firm date for the repair, and I want to mention that it's been below 14 °C inside most evenings. Keep it polite but firm.""")
add(W, "Write a short story (around 200 words) about a lighthouse keeper who finds a message in a bottle addressed to him. Give it a twist at the end.")
add(W, """Rewrite this message so it sounds professional:

"hey, cant make the meeting tmrw, something came up. can we do thurs instead?? sorry!!"
""")
add(W, "Write a limerick about a cat who teaches itself to code.")
add(W, "I'm applying for a junior data analyst job at a logistics company. I have two years of experience building Excel reports and I've just finished an SQL course. Write the opening paragraph of my cover letter.")
add(W, "Write a poem of four stanzas about autumn in a big city. No rhymes, please, and avoid the word \"leaves\".")
add(W, "Write a product description (under 80 words) for a reusable bamboo water bottle, 750 ml, keeps drinks cold for 12 hours.")
add(W, """Rewrite this paragraph so that it is clear and easy to read:

"In the event that it is the case that the delivery of the items which were ordered by you is not able to be completed on the date that was originally specified, a notification will be sent, by us, to the email address that was provided at the time at which the order was placed."
""")
add(W, "Write a short thank-you note to my neighbour Jan, who watered my plants and fed the fish for ten days while I was away.")
add(W, "Write a tweet (under 280 characters) announcing that our bakery now sells sourdough on Saturdays. Include one emoji and the hashtag #FreshBread.")
add(W, "Give me three possible opening lines for a mystery novel set on an overnight train from Vienna to Venice.")
add(W, "Make this sentence more concise: \"Due to the fact that we are currently in the process of reviewing all of the applications that we have received, we are not at this point in time able to give you an answer.\"")
add(W, "Write an apology email to a customer whose order #48213 arrived nine days late and with a dented box. Offer a 15% discount code: SORRY15.")
add(W, "Tell a gentle bedtime story for a five-year-old about a sleepy dragon who can't find a comfortable place to nap.")
add(W, """Help me write a wedding toast for my sister Maya (about 150 words). Funny but warm. Details:
- she and Tom met at a climbing gym
- Tom once got stuck halfway up a wall and she talked him down
- they both hate coriander
- I'm the younger brother""")
add(W, "Write a short dialogue between a barista and a time traveller who doesn't understand what an oat latte is.")
add(W, "Give me five slogan ideas for a bike repair shop called \"Spoke & Chain\".")
add(W, """Rewrite each sentence in the active voice:
1. The report was written by the intern.
2. Mistakes were made during the migration.
3. The cake was eaten before the guests arrived.
4. The new policy will be announced by the board on Monday.""")
add(W, "Write a sonnet about the Wi‑Fi dropping in the middle of an important video call.")
add(W, "Write a LinkedIn post announcing that I finished a 12-week Python course. Mention that my final project was a budget tracker, and thank my mentor, Priya. Not too boastful.")
add(W, "Write a resignation letter. I'm giving two weeks' notice; my last day will be 28 March. I've been a support engineer at the company for four years and I want to leave on good terms.", sys="You are a helpful writing assistant. Use a warm, professional tone.")
add(W, "Fix the grammar and spelling: \"Me and him goes to the libary every tuesdays, their is lots of book's we like to read.\"")
add(W, "Describe a thunderstorm using all five senses, in one paragraph.", sys="You are a creative writing assistant. Write vivid but plain prose.")
add(W, "Write an intro paragraph for a blog post with my lemon drizzle cake recipe. Avoid clichés like \"nothing beats\" or \"just like grandma used to make\".")
add(W, """Turn these meeting notes into a short paragraph for people who weren't there:

- launch moved from 10 → 24 June
- design still waiting on final icons (Lena)
- QA needs 2 extra days for the Android build
- budget unchanged
- next check-in: Thursday 10:00""")
add(W, "Write a horror story in exactly six words.")
add(W, "Write a short ad for a weekend pottery class in Leeds. £45 per person, all materials included, Saturdays 10:00–13:00, max 8 people.", sys="You are a copywriter who writes in British English.")
add(W, "Write a birthday message for a coworker I don't know very well.", sys=CONCISE)
add(W, "Write the text for a sign by the pond asking people not to feed the ducks bread. Friendly tone, and say why.")
add(W, "Write an invitation for a board game night 🎲: Friday at 7 pm, 14 Elm Street, bring a snack to share, kids welcome until 9.")
add(W, "My friend is starting a 16-week marathon training plan tomorrow. Write her a short motivational message.")
add(W, "Write a three-sentence blurb for our community newsletter asking for volunteers for the river clean-up on 6 April (meet at 10:00 by the old boathouse). People can sign up at https://example.org/volunteer?event=river-cleanup&ref=newsletter")
add(W,
    "Write a short poem about the sea.",
    "The sea rolls in with silver hands,\nit smooths the stones and shifts the sands;\nit keeps the secrets sailors told\nand hums them back in blue and gold.",
    "Nice, but make it just two lines and end it with a question.")
add(W,
    "Can you draft an email to my tutor, Dr Hale, asking for a one-week extension on my essay? I was ill last week.",
    "Dear Dr Hale,\n\nI am writing to request a one-week extension for my essay, which is due on Friday. Unfortunately, I was unwell for most of last week and was unable to make the progress I had planned. I would be grateful if you would consider extending the deadline to the following Friday.\n\nKind regards,\nSam",
    "That's too formal — she's pretty relaxed and we're on first-name terms (Ellie). Loosen it up a bit.")
add(W,
    "I'm writing a fantasy story. Suggest some names for a stubborn old ferryman.",
    "Here are a few ideas: 1. Bram Tollwater 2. Osric Vane 3. Old Mother Heddle (if the ferryman is a woman) 4. Corvin Marsh 5. Hob the Steerless",
    "Go with the second one and write the first paragraph of the story.")
add(W,
    "Suggest a title for my blog post about working remotely from a small village.",
    "1. \"Fibre Optics and Sheep: Remote Work in the Countryside\"\n2. \"Logging In From the Middle of Nowhere\"\n3. \"The Village Office: A Year of Remote Work\"",
    "Something punchier, under five words.")
add(W,
    "Rewrite this to sound more formal: \"We messed up the numbers in last week's report, sorry about that, fixed version attached.\"",
    "\"Please note that last week's report contained errors in several figures. We apologise for any inconvenience; a corrected version is attached.\"",
    "Good. Now explain the same thing so a ten-year-old would understand it.")
add(W, "Edit this paragraph for flow but keep the em dashes and the quotation marks as they are: “It was late — far too late — when the bus finally came. ‘You’re lucky,’ the driver said, ‘I nearly didn’t stop.’ I wasn’t sure whether to thank him or complain.”")

# ---------------------------------------------------------------- coding
C = "coding"
add(C, "Write a Python function that checks whether a string is a palindrome, ignoring case, spaces and punctuation. Include two examples.")
add(C, "What does this Python line do?\n\n```python\nsquares = [x**2 for x in range(10) if x % 2 == 0]\n```")
add(C, """Why does this function remember items between calls? How do I fix it?

```python
def add_item(item, basket=[]):
    basket.append(item)
    return basket

print(add_item("apple"))
print(add_item("pear"))   # prints ['apple', 'pear'] ?!
```""")
add(C, """I have two tables:

customers(id, name, country)
orders(id, customer_id, amount, created_at)

Write an SQL query that returns the top 5 customers by total order amount, with their name and the total.""")
add(C, "Write a debounce function in JavaScript and explain in two sentences when I'd use it.")
add(C, """In Swift, write a `Book` struct that can be decoded from this JSON, and show how to decode it:

```json
{"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "year": 1969, "tags": ["sci-fi", "classic"]}
```""")
add(C, "Give me a shell command that finds every .log file under /var/app larger than 10 MB and modified in the last 7 days, and gzips each one.")
add(C, "What's the difference between == and === in JavaScript? Give an example where they disagree.")
add(C, "I get `TabError: inconsistent use of tabs and spaces in indentation` on this code. Why?\n\n```python\ndef total(prices):\n\tresult = 0\n    for p in prices:\n\t\tresult += p\n\treturn result\n```")
add(C, r"""Explain this regular expression piece by piece:

```
^[\w.+-]+@[\w-]+\.[\w.-]+$
```

Is it good enough to validate email addresses?""")
add(C, "Write a bash one-liner that counts the unique IP addresses in access.log (the IP is the first field on each line) and shows the 10 most frequent.")
add(C, "How do I read a CSV file in Python and compute the average of the \"price\" column? Use only the standard library.")
add(C, "Explain the time complexity of binary search and why it's O(log n).", sys="You are a computer science teaching assistant.")
add(C, "What's wrong with this query?\n\n```sql\nSELECT name, COUNT(*) FROM users;\n```")
add(C, "Write a JavaScript function using async/await that fetches JSON from https://api.example.com/items?page=1 and logs the `name` of each item. Handle network errors and non-200 responses.")
add(C, "In Swift, when should I use `guard let` instead of `if let`? Short example please.")
add(C, """Rewrite this loop using enumerate:

```python
names = ["Ana", "Ben", "Chloé"]
i = 0
for name in names:
    print(i, name)
    i += 1
```""")
add(C, "How do I undo my last git commit but keep the changes in my working directory?")
add(C, "Write a Python class `Stack` with push, pop, peek and is_empty methods. pop and peek on an empty stack should raise IndexError.")
add(C, "Explain recursion using a factorial function in Python. Then tell me what happens if I call it with -1.")
add(C, """Why does this print 3 3 3 instead of 0 1 2?

```js
for (var i = 0; i < 3; i++) {
  setTimeout(() => console.log(i), 100);
}
```""")
add(C, "Write SQL (PostgreSQL) to create tables for a small library: books, members, and loans. A loan links a member to a book and has a due date. Use foreign keys.")
add(C,
    "What does `chmod 755 deploy.sh` do? Explain each digit.",
    "It sets the permissions of deploy.sh. Each digit is a sum of read (4), write (2) and execute (1): 7 = rwx for the owner, 5 = r-x for the group, 5 = r-x for everyone else. So only the owner can modify it, but anyone can read and run it.",
    "And what would 644 mean? Which one should I use for a config file?")
add(C, """Write pytest tests for this function, including an edge case:

```python
def safe_divide(a, b):
    if b == 0:
        return None
    return a / b
```""")
add(C, "Write a Swift function that returns the nth Fibonacci number using a loop, not recursion.")
add(C,
    "python merge two dicts",
    "In Python 3.9+ you can use the union operator: `merged = a | b`. In older versions: `merged = {**a, **b}`.",
    "what happens if both dicts have the same key?")
add(C, "Why is 0.1 + 0.2 == 0.3 False in Python, and how should I compare floats?")
add(C, "Write a .gitignore for a Python project that uses a virtualenv in .venv, pytest, and Jupyter notebooks.")
add(C, "How do I list installed packages with pip and save them to a file?", sys="You are a helpful assistant.")
add(C, "python sort dict by value descending")
add(C, "What does this error mean: `IndentationError: unexpected indent`?")
add(C, """Please review this function:

```python
def get_user(users, id):
    for u in users:
        if u["id"] == id:
            return u
    return
```""", sys="You are a senior Python reviewer. Reply with short bullet points only.")
add(C, "JavaScript function that shuffles an array in place (Fisher–Yates).", sys="Answer with code only, no explanation.")
add(C,
    "How do I reverse a list in Python?",
    "The simplest way is slicing: `reversed_list = my_list[::-1]`. This creates a new list and leaves the original unchanged.",
    "What if I want to reverse it in place, without making a copy?")
add(C,
    "Write a SQL query that shows the total amount per customer from an `orders` table (customer_id, amount, order_date).",
    "```sql\nSELECT customer_id, SUM(amount) AS total\nFROM orders\nGROUP BY customer_id\nORDER BY total DESC;\n```",
    "Now only include orders from 2023, and only customers whose total is above 500.")
add(C,
    "My React app crashes with `TypeError: Cannot read properties of undefined (reading 'map')`. What does it mean?",
    "It means you're calling `.map()` on something that is `undefined`, usually an array that hasn't been loaded yet. For example, `data.items.map(...)` fails if `data.items` doesn't exist on the first render.",
    """The data comes from a fetch in useEffect. Here's my component:

```jsx
function List() {
  const [data, setData] = useState();
  useEffect(() => {
    fetch("/api/items").then(r => r.json()).then(setData);
  }, []);
  return <ul>{data.items.map(i => <li key={i.id}>{i.name}</li>)}</ul>;
}
```

How do I fix it?""")
add(C,
    "Write a bash script that backs up ~/Documents into a dated .tar.gz in ~/backups.",
    "```bash\n#!/usr/bin/env bash\nset -euo pipefail\nmkdir -p ~/backups\ntar -czf ~/backups/documents-$(date +%F).tar.gz -C ~ Documents\n```",
    "Will this work on macOS too? And can it delete backups older than 30 days?")
add(C,
    "What is a decorator in Python?",
    "A decorator is a function that takes another function and returns a new function that usually adds some behaviour before or after calling the original. You apply it with the @name syntax above a function definition.",
    "Show me one that prints how long a function took to run.")
add(C, "In JavaScript, what's the difference between `let`, `const` and `var`? Keep it short.", sys=CONCISE)
add(C, "Write a shell loop that renames every file ending in .jpeg in the current folder to .jpg.")
add(C, "Why does `curl https://api.example.com/v1/users?limit=10&sort=desc` print \"zsh: no matches found\" and what's the right way to write it?")

# ---------------------------------------------------------------- maths
M = "maths"
add(M, "What is 17 × 24?")
add(M, "Solve for x: 3x + 7 = 25")
add(M, "A train leaves at 14:10 and travels 180 km at an average speed of 72 km/h. What time does it arrive?")
add(M, "What is 15% of 240?")
add(M, "Simplify (2x² − 8) / (x − 2).")
add(M, "I buy 3 cakes at £12.50 each and 4 muffins at £2.25 each. I pay with a £50 note. How much change do I get?")
add(M, "What's the probability of rolling a total of 7 with two fair six-sided dice? Show your working.")
add(M, "Is 221 a prime number?")
add(M, "Convert 0.375 to a fraction in lowest terms.")
add(M, "Find the derivative of f(x) = x³ · sin(x).")
add(M, "What is the area of a circle with a radius of 6 cm? Give the answer to 2 decimal places.")
add(M, """Solve this system of equations:
2x + y = 11
x − y = 1""")
add(M, "If I put £2,000 in a savings account at 4% interest compounded annually, how much will I have after 5 years?")
add(M,
    "What's the average of 12, 15, 9, 22 and 17?",
    "(12 + 15 + 9 + 22 + 17) / 5 = 75 / 5 = 15.",
    "If I add a sixth number, 33, what's the new average?")
add(M, "A recipe uses 250 g of flour for 4 people. How much flour do I need for 10 people?")
add(M, "Find the LCM and the GCD of 12 and 18.")
add(M, "Solve x² − 5x + 6 = 0 by factoring.")
add(M, "How can I work out √2 to three decimal places by hand?")
add(M, "Anna can paint a fence in 6 hours. Ben can paint the same fence in 4 hours. How long will it take if they work together?")
add(M, "The price of a ticket went up from 80 to 92. What is the percentage increase?")
add(M, "What's the sum of all whole numbers from 1 to 100? Explain the shortcut.")
add(M, "A 5 m ladder leans against a wall. Its foot is 3 m from the wall. How high up the wall does it reach?")
add(M, "Evaluate the integral of 2x from 0 to 3.")
add(M, "Convert 72 °F to Celsius.", sys=CONCISE)
add(M, "2^10 = ?")
add(M, "Find the mean, median and mode of: 4, 8, 8, 3, 10, 8, 5, 6")
add(M, "Which is the better deal: 1.5 L of juice for €2.10 or 2 L for €2.60?")
add(M, "Why is dividing by zero undefined? Explain it without using the word \"infinity\".")
add(M, "What is the determinant of the matrix [[2, 3], [1, 4]]?")
add(M, "How many seconds are there in a week?")
add(M, "What is log₂(64)?")
add(M, "How do I add 2/3 and 3/4?", sys="You are a patient maths tutor for 12-year-olds. Show each step and use simple words.")
add(M, "What is 987 − 658?", sys="Give only the final answer.")
add(M, "A shop sells a jacket for $120. It's on sale for 25% off, and then sales tax of 8% is added. What's the final price?", sys=CONCISE)
add(M,
    "What's 12 × 13?",
    "12 × 13 = 156.",
    "And 12 × 130?")
add(M,
    "Solve 2x + 3 = 11.",
    "Subtract 3 from both sides: 2x = 8. Divide by 2: x = 4.",
    "Now check it by substituting back in, step by step.")
add(M,
    "A rectangle is 8 cm long and 5 cm wide. What is its perimeter?",
    "Perimeter = 2 × (8 + 5) = 2 × 13 = 26 cm.",
    "What happens to the perimeter and the area if the width doubles?")
add(M,
    "A coat costs $200. There's a 20% discount and 10% tax. What do I pay?",
    "Adding the tax first: $200 × 1.10 = $220, then 20% off gives $176.",
    "I think the tax is applied after the discount, not before. Does that change the answer?")
add(M,
    "If I flip a fair coin twice, what's the chance of getting two heads?",
    "Each flip has a 1/2 chance of heads, so two heads is 1/2 × 1/2 = 1/4, or 25%.",
    "And the chance of at least one head in three flips?")

# ---------------------------------------------------------------- reasoning
R = "reasoning"
add(R, "Alice is older than Bob. Bob is older than Carol. Dan is younger than Carol. Who is the youngest, and who is the oldest?")
add(R, "On an island, knights always tell the truth and knaves always lie. A says: \"B is a knave.\" B says: \"A and I are the same kind.\" What are A and B?")
add(R, "Plan a 3-day trip to Lisbon for two people on a total budget of €400, not counting flights. We like food, views and walking, not museums.")
add(R, "I drive about 5,000 km a year in a city with good public transport. Should I keep my car, sell it and rent when needed, or join a car-sharing scheme? Walk me through the trade-offs.")
add(R, "A farmer has to cross a river with a wolf, a goat and a cabbage. The boat can carry the farmer and only one item. The wolf eats the goat and the goat eats the cabbage if left alone together. How does he get everything across?")
add(R, "All bloops are razzies. Some razzies are lazzies. Does it follow that some bloops are lazzies? Explain.")
add(R, "Which is heavier: a kilogram of feathers or a kilogram of steel?")
add(R, """I have four tasks:
- A takes 2 days
- B takes 3 days and needs A to be done
- C takes 4 days and can start any time
- D takes 1 day and needs both B and C

Two people can work in parallel. What's the shortest time to finish everything?""")
add(R, "For someone who wants to do business in Latin America and maybe Asia later, what are the pros and cons of learning Spanish versus Mandarin first?")
add(R,
    "What's the next number: 2, 6, 12, 20, 30, ? Explain the pattern.",
    "42. The differences between terms are 4, 6, 8, 10, so the next difference is 12, and 30 + 12 = 42.",
    "Can you give me a formula for the nth term?")
add(R, "A man looks at a portrait and says: \"Brothers and sisters I have none, but that man's father is my father's son.\" Who is in the portrait?")
add(R, "Plan a week of vegetarian dinners for two people on a budget of about $60. Minimise food waste by reusing ingredients across meals.")
add(R, """Help me choose between two job offers:

Offer A: €52k, fully remote, small start-up, equity but unclear funding
Offer B: €47k, hybrid (3 days in office, 40 min commute), large stable company, good training budget

I'm 26 and want to grow my skills fast.""")
add(R, "There are three boxes labelled \"apples\", \"oranges\" and \"mixed\". Every label is wrong. You can take one fruit from one box without looking inside. How do you fix all the labels?")
add(R, "A bat and a ball cost $1.10 in total. The bat costs $1.00 more than the ball. How much does the ball cost?")
add(R, """I have 6 hours today. Help me prioritise:
1. Reply to 30 emails (1 h)
2. Prepare slides for tomorrow's client meeting (2 h)
3. Gym (1 h)
4. Fix the bug that's blocking a colleague (1.5 h)
5. Read an industry report (1 h)
6. Book dentist appointment (10 min)""")
add(R, "For a home media server that stores about 8 TB of films, should I use SSDs or HDDs? Compare cost, noise, speed and reliability.")
add(R, "If 5 machines take 5 minutes to make 5 widgets, how long would 100 machines take to make 100 widgets?")
add(R, "Four friends — Kai, Lea, Mo and Nia — sit in a row. Kai is not at either end. Lea sits directly to the right of Nia. Mo is at the far left. What is the seating order from left to right?")
add(R, "Explain, with an everyday example, why correlation does not imply causation.")
add(R, "Plan a 2-hour birthday party for ten 7-year-olds in a small flat. Include a rough timetable.")
add(R, "Complete the analogy: hand is to glove as foot is to ___. Then write two analogies of your own in the same style.")
add(R, "Explain the Monty Hall problem and why switching doors is the better strategy.", sys="You are a helpful assistant.")
add(R, "What's wrong with this argument? \"Every time I carry an umbrella, it doesn't rain. So carrying an umbrella keeps the rain away.\"")
add(R, "I have €5,000. My credit card charges 18% interest and I owe €3,000 on it. Should I pay it off first or invest in an index fund that has averaged about 7% a year?")
add(R, "You have a 3-litre jug and a 5-litre jug and unlimited water. How do you measure exactly 4 litres?")
add(R, "I'm moving flats this Saturday. Make me a checklist for the week before, the day itself, and the first evening in the new place.")
add(R, "There are three light switches downstairs. One of them controls a bulb in the attic. You can flip switches as much as you like but can go up to the attic only once. How do you find the right switch?")
add(R, "What is the angle between the hour and minute hands of a clock at 3:15?")
add(R, "Which one doesn't belong: 3, 5, 7, 9, 11? There may be more than one good answer.")
add(R, "Five people are in a race. Priya finished before Omar but after Lucas. Jin finished right after Omar. Eva finished last. Who came first?", sys="You are a careful reasoner. Think step by step, then give a one-line answer.")
add(R, "I keep procrastinating on my thesis. I have 10 weeks left and two chapters to write. What should I do this week?", sys="You are a practical productivity coach. Be specific.")
add(R, "Should I learn to touch-type at 40? I type about 30 words per minute with two fingers.", sys=CONCISE)
add(R,
    "Three people: Ben, Cara and Dan. One of them ate the cake. Ben says \"Cara did it.\" Cara says \"I didn't.\" Dan says \"I didn't.\" Only one of them is telling the truth. Who ate the cake?",
    "If Dan is the only truth-teller, then Ben's statement is false (Cara didn't do it) and Cara's statement is false (she did do it) — a contradiction. If Cara is the only truth-teller, then Ben lies (Cara didn't) and Dan lies, so Dan ate the cake. That's consistent. Answer: Dan.",
    "Why can't it be Ben?")
add(R,
    "Plan a two-day trip to Edinburgh for me.",
    "Day 1: Royal Mile, Edinburgh Castle in the morning, lunch in the Grassmarket, Greyfriars and the Museum of Scotland in the afternoon. Day 2: Arthur's Seat at sunrise, Dean Village and Stockbridge market, then Calton Hill for sunset.",
    "The forecast says heavy rain all of day 2. Can you adjust the plan?")
add(R,
    "Which is better for a student: a 13-inch ultrabook or a 15-inch laptop with a dedicated GPU?",
    "For most students the 13-inch ultrabook is the better choice: it's lighter, has longer battery life and is enough for writing, browsing and light coding.",
    "I mostly edit 4K video for my course. Does that change your answer?")
add(R,
    "Give me a riddle.",
    "What has keys but can't open locks? — A piano.",
    "Too easy. Give me a harder one, and don't tell me the answer yet.")
add(R,
    "Should I take the train or fly from London to Paris?",
    "The train is usually better: the Eurostar takes about 2 h 20 min city-centre to city-centre, while flying needs travel to airports, security and transfers, so the total time is similar or longer. The train also has a much lower carbon footprint.",
    "Put the comparison in a table: time, cost, comfort, emissions.")

# ---------------------------------------------------------------- extraction
X = "extraction"
add(X, """Extract every person's name and every date from the passage below. Return JSON: {"people": [...], "dates": [...]}.

"On 12 May 2021, engineer Halima Yusuf presented the bridge design to the city council. Councillor Peter Brandt asked for a revised cost estimate by 30 June, and the project was finally approved on 4 August 2021 after a second review led by Dr. Tomás Ibarra.\"""")
add(X, """Pull the key fields out of this invoice as JSON with the keys invoice_number, issue_date, due_date, total, currency.

INVOICE  No. INV-2024-0173
Issued: 03/04/2024     Payment due: 03/05/2024
Web design services (12 h × 55.00)      660.00
Hosting, 12 months                      96.00
VAT 20%                                 151.20
TOTAL DUE                          EUR  907.20""")
add(X, """From this email, extract the meeting date, time, location and list of attendees as JSON.

Hi all,
Quick reminder that the quarterly planning session is on Tuesday 14 November at 09:30 in Room 4.12 (fourth floor, east wing). Attending: Grace Liu, Oumar Diallo, Sven Karlsson and me. Henrik can't make it but will dial in via Teams.
Best,
Rosa""")
add(X, """Turn the ingredients in this recipe into a JSON array of objects with "item", "quantity" and "unit" (use null when there's no unit).

For the pancakes you'll need 200 g plain flour, 2 eggs, 300 ml milk, a pinch of salt, 1 tbsp melted butter and 3 ripe bananas.""")
add(X, """Extract the following from this job ad as JSON: title, company, location, remote (true/false), salary_min, salary_max, currency, skills (array).

"Brightline Freight is hiring a Backend Developer (Go) for our Rotterdam office. Hybrid working: two days a week from home. Salary €55,000–€68,000 depending on experience. You'll work with Go, PostgreSQL, Kafka and Kubernetes. Apply by 15 January.\"""")
add(X, """Read this product review and return JSON with "rating" (number out of 5), "pros" (array) and "cons" (array).

"Gave it 4 stars. The headphones are really comfortable even after three hours and the noise cancelling is impressive on the train. Battery lasts about 30 hours. Downsides: the case is bulky and the app keeps asking me to create an account, which is annoying.\"""")
add(X,
    """List every URL in the text below as a JSON array of strings.

Docs live at https://docs.example.org/v2/start and the changelog is at https://example.org/changelog#v2.3. Old links like http://legacy.example.net/help?id=42 still redirect. Don't forget www.example.org/download (no scheme).""",
    '["https://docs.example.org/v2/start", "https://example.org/changelog#v2.3", "http://legacy.example.net/help?id=42", "www.example.org/download"]',
    "Add https:// to the last one, and also give me the list of distinct domains.")
add(X, """Extract all phone numbers and email addresses from this signature. Output JSON with "phones" and "emails".

--
Dr. Ingrid Solberg
Head of Research, Nordlys Labs
☎ +47 22 33 44 55 (office) · +47 912 34 567 (mobile)
✉ ingrid.solberg@nordlys-labs.no | research@nordlys-labs.no""")
add(X, """Convert this event listing into JSON with keys name, date, start_time, end_time, venue, price, age_limit.

JAZZ ON THE ROOF — Saturday 22 July, 19:00–23:00, Skyline Terrace (Hotel Meridian, 9th floor). Tickets £18 in advance / £22 on the door. Over-18s only.""")
add(X, """Extract each person mentioned and the year(s) connected with them. Return a JSON list of {"name": ..., "years": [...]}.

"Marie Curie won her first Nobel Prize in 1903, sharing it with Pierre Curie and Henri Becquerel. She won a second, in Chemistry, in 1911. Her daughter Irène Joliot-Curie received the Chemistry prize in 1935.\"""")
add(X, """Extract flight details as JSON: airline, flight_number, from, to, departure (ISO 8601), arrival (ISO 8601), seat, booking_ref.

Your booking is confirmed! Booking reference: QX7P2L
SkyWays flight SW 1482
Depart: Madrid (MAD) 06 Sep 2024 07:45
Arrive: Oslo (OSL) 06 Sep 2024 11:55
Passenger: Mr J. Fernández — Seat 14C""")
add(X, """Extract every measurement (value + unit) from this lab note as JSON.

"Sample B was heated to 85 °C for 20 min, then cooled to 4 °C. We added 2.5 mL of buffer (pH 7.4) and centrifuged at 12,000 rpm. Final mass: 0.38 g.\"""")
add(X, """Parse this address into JSON with street, number, city, postcode, country:

"Flat 2, 47 Harbour Road, Portsmouth PO1 3QT, United Kingdom\"""", sys="Reply with JSON only.")
add(X, "The data below is tab-separated. Convert it into a JSON array of objects, with numbers as numbers.\n\nname\tage\tcity\tscore\nLena\t34\tGraz\t88.5\nMarco\t29\tTurin\t91\nYuki\t41\tSapporo\t79.25")
add(X, """Extract each company, the amount raised and the lead investor. Return a JSON array.

"In funding news this week, Greenmesh raised $12M in a Series A led by Northwind Ventures. Meanwhile, Berlin-based Kollab closed a €4.5 million seed round led by Alpine Capital, and Tideway Robotics announced a $30 million Series B with Harbour Point as lead.\"""")
add(X, """Pull out every to-do item from this chat, with who's responsible. JSON please.

Mia: ok so for Saturday — I'll book the table
Jonas: I can pick up the cake from Bäckerei Huber
Mia: great. someone needs to tell Oli the new time
Ada: I'll do that 👍 and I'll bring the candles
Jonas: also need a card, Mia can you grab one?
Mia: sure""")
add(X, """Extract the appointment details as JSON: patient, clinic, doctor, date, time, instructions.

"Reminder: Kwame Mensah has an appointment at Riverside Health Centre with Dr. Aoife Byrne on Monday 8 April at 15:20. Please arrive 10 minutes early and bring a list of your current medication.\"""")
add(X, """From this match report, extract both teams, the final score, and every goal scorer with the minute. JSON output.

"Harbour City beat Eastfield Rovers 3–1 on Sunday. Okafor opened the scoring in the 12th minute before Rovers levelled through Lindqvist (34'). After the break, Santos restored the lead on 58 minutes and Okafor added his second deep into stoppage time (90+3').\"""")
add(X, """Return the forecast as a JSON array of {"day", "high_c", "low_c", "conditions"}:

Mon: sunny, 24/13 °C. Tue: showers, 19/12. Wed: cloudy 18–11 °C. Thu: thunderstorms likely ⛈ high 21, low 14.""")
add(X, "Extract all hashtags and @mentions from this post as JSON: \"Huge thanks to @river_cafe for hosting our #BookClub tonight 📚✨ Next month we read Piranesi — join us! #readinglist #Bristol cc @tomreads\"")
add(X, """Extract author(s), title, year, publisher and city from this reference. JSON.

Nakamura, K., & Obi, C. (2019). Tides of the Inland Sea: A Social History. Osaka: Kaisei Press.""")
add(X, """Find every date in the text and convert it to ISO 8601 (YYYY-MM-DD). Return a JSON array in the order they appear.

"The lease started on 1st March 2022, was renewed on 2023/02/28, and the tenant gave notice on June 5, 2024. The final inspection is scheduled for 05.07.2024.\"""")
add(X, """Extract the parties, effective date and term length from this clause as JSON.

"This Services Agreement (the "Agreement") is entered into as of 1 October 2024 (the "Effective Date") by and between Larkspur Analytics Ltd. ("Provider") and Meadowvale Housing Association ("Client"), and shall remain in force for a period of twenty-four (24) months unless terminated earlier in accordance with Section 9.\"""")
add(X, """Extract the pet's details as JSON (species, name, breed, colour, last_seen_location, last_seen_date, contact).

LOST CAT 😿 "Pickle" — grey tabby with a white bib, very shy. Last seen near Carlton Park on Wed 11 Oct. Microchipped. Please call 07700 900123 if you see her!""")
add(X, "From this SMS, extract amount, currency, merchant, date and remaining balance as JSON: \"Card ****4821: purchase of 23.40 CHF at MIGROS ZURICH HB on 17.02. Available balance: 1,204.55 CHF.\"")
add(X, """Extract the ingredients and the allergens from this label. JSON with two arrays.

INGREDIENTS: Oat flakes (62%), dark chocolate (cocoa mass, sugar, cocoa butter, emulsifier: SOY lecithin), HAZELNUTS (8%), honey, sunflower oil, salt. May contain traces of MILK and PEANUTS.""")
add(X, """Extract the sessions from this schedule as a JSON array with start, end, title, speaker.

09:00–09:30  Welcome & coffee
09:30–10:15  "Scaling Postgres Without Tears" — Aiko Tanaka
10:15–11:00  "What We Learned From 1 Billion Events" — Rafael Costa
11:00–11:15  Break
11:15–12:00  Panel: Open Source Sustainability (moderator: Dana Whitfield)""")
add(X, "Extract tracking number, carrier, current status and estimated delivery date as JSON: \"Your parcel 1Z 999 AA1 01 2345 6784 (UPS) is out for delivery 🚚 Expected today, Thu 21 Nov, between 13:00 and 17:00.\"")
add(X, """Pull out rent, bedrooms, bathrooms, deposit, available_from and pets_allowed as JSON.

Bright 2-bed, 1-bath flat above a bookshop in Leith. £1,150 pcm, deposit £1,300. Available from 1 September. Sorry, no pets. Bills not included.""")
add(X, """Receipt:
CAFÉ LUMEN
2 × Flat white      7.00
1 × Almond croissant 3.60
1 × Still water     1.80
Subtotal           12.40
Tip                 1.50
TOTAL             13.90 EUR
Paid by card 08/03/2025 10:42""", sys="You are a data-extraction tool. Output only valid JSON with the keys merchant, date, time, items (name, quantity, price), total and currency. No prose.")
add(X, """Get the contact details from this business card into JSON:

SOFIA MARCHETTI
Senior Architect
Studio Verde Architetti
Via Tortona 31, 20144 Milano
+39 02 1234 5678 · sofia@studioverde.it
studioverde.it""", sys="You are a data-entry assistant. Use null for missing fields.")
add(X, "Extract the product name, price and storage options from this text as JSON: \"The new Nimbus X2 tablet starts at $449 for 128 GB; the 256 GB and 512 GB models cost $549 and $699.\"", sys=CONCISE)
add(X,
    """Extract the names and roles of the people in this paragraph as JSON.

"The expedition was led by geologist Marta Kowalczyk, with Luis Ortega as chief photographer. Pilot Hana Sato flew the team to the base camp, and Dr. Emeka Obi, the team doctor, joined them a week later.\"""",
    '[{"name": "Marta Kowalczyk", "role": "geologist, expedition leader"}, {"name": "Luis Ortega", "role": "chief photographer"}, {"name": "Hana Sato", "role": "pilot"}]',
    "You missed one — the doctor at the end.")
add(X,
    "Extract the dates from this sentence: \"The museum closes on 24 December and reopens on January 3rd, with a members' preview on 2 Jan.\"",
    '{"dates": ["24 December", "January 3rd", "2 Jan"]}',
    "Please use ISO 8601 format, assuming the closing is in 2024 and the reopening in 2025.")
add(X,
    """Extract name, department and start date for each new employee as JSON:

"Welcome to Ravi Patel (Finance, starting 2 Sept), Olga Novak (Design, 9 Sept) and Ben Carter (IT support, 16 Sept).\"""",
    '[{"name": "Ravi Patel", "department": "Finance", "start_date": "2 Sept"}, {"name": "Olga Novak", "department": "Design", "start_date": "9 Sept"}, {"name": "Ben Carter", "department": "IT support", "start_date": "16 Sept"}]',
    "Great. Now give me the same thing as CSV with a header row instead.")
add(X,
    "Who is mentioned in this sentence? \"Prime Minister Jacinda Ardern met Emmanuel Macron in Paris in May 2019.\" Answer in JSON.",
    '{"people": ["Jacinda Ardern", "Emmanuel Macron"]}',
    "Add each person's country and role.")

# ---------------------------------------------------------------- summarisation
S = "summarisation"
add(S, """Summarise this in two sentences:

Urban beekeeping has grown quickly over the past decade, with hives now appearing on office roofs, school grounds and allotments. Supporters argue that city bees benefit from a surprising variety of flowers in parks and gardens, and that the hives help people reconnect with where their food comes from. However, some ecologists warn that too many honeybee colonies in a small area can compete with wild bees for nectar and pollen, and wild bees are often the more important pollinators for native plants. They suggest that cities would do more for pollinators by planting flower-rich verges, leaving patches of bare ground for ground-nesting species and cutting back on pesticide use, rather than simply adding more hives.""")
add(S, """Summarise this memo for a busy manager in three bullet points:

Q3 revenue came in at $4.2M, 6% above our forecast, driven mainly by the new subscription tier, which now accounts for 31% of sales. Customer churn rose slightly from 3.1% to 3.6%, and most cancellations cited price increases introduced in July. Operating costs were flat, although cloud spending grew 14% because of the new analytics feature. Hiring is behind plan: we filled 5 of 9 open roles, and the two senior engineering positions remain open. For Q4, the leadership team proposes a loyalty discount for long-term customers, a review of cloud usage, and using an external recruiter for the senior roles.""")
add(S, """Can you give me a short summary of this study?

Researchers followed 120 university students for four weeks to see how sleep affects memory. Each student learned a list of 40 word pairs in the evening and was tested the next morning. Students who slept at least seven hours remembered on average 78% of the pairs, compared with 61% for those who slept fewer than six hours. The difference was largest for pairs learned last, just before bed. A smaller group who took a 20-minute nap after learning also performed better than those who stayed awake. The authors caution that the sample was young and healthy, and that the students recorded their own sleep, which may not be fully accurate.""")
add(S, """Summarise in one paragraph:

The first bicycles, built in the early nineteenth century, had no pedals at all: riders sat on a wooden frame and pushed themselves along with their feet. Pedals attached directly to the front wheel arrived in the 1860s, and to go faster, makers enlarged that wheel, producing the famous high-wheeled "penny-farthing". It was quick but dangerous, because riders sat high above the ground and could be thrown over the handlebars. In the 1880s the "safety bicycle" solved the problem with two wheels of equal size and a chain driving the rear wheel. Pneumatic tyres followed soon after, making rides far more comfortable, and the basic design has changed surprisingly little since.""")
add(S, """Summarise this news item for a neighbourhood newsletter (max 60 words):

After eighteen months of consultation, Millbrook Town Council voted on Tuesday to turn the disused bus depot on Station Road into a public park. The plan includes a children's playground, a community orchard, a small skate area and a covered stage for events. The £2.3 million project will be funded partly by a government regeneration grant and partly by the sale of a nearby council-owned office building. Some residents had argued for affordable housing on the site instead, and the council has promised to identify an alternative location for new homes by the end of next year. Construction is expected to start in March and take around fourteen months.""")
add(S, """Summarise these release notes for users who don't care about technical details:

Version 5.2 introduces offline mode: notes and lists are now stored locally and synchronised automatically when a connection is available. We rewrote the sync engine, which reduces battery usage by up to 20% on most devices. Search is now three times faster and supports filters by tag and date. Dark mode has been updated to improve contrast. We fixed a bug that occasionally duplicated checklist items after syncing, and another that caused the app to crash when importing very large PDF files. Support for Android 8 ends with this release; users on older devices can keep using version 5.1, which will receive security fixes until June.""")
add(S, """TL;DR please:

A survey of 2,000 office workers found that 58% would prefer to work from home at least three days a week, but only 22% want to be fully remote. The most common reasons for wanting some office time were social contact with colleagues, a clearer separation between work and home, and easier collaboration on complex tasks. Younger workers were the most likely to say they missed the office, often because their homes were shared or lacked a quiet place to work. Managers, meanwhile, were more sceptical of remote work than their staff, with 41% saying they found it harder to judge performance. The authors recommend that companies agree clear expectations on team office days instead of leaving the choice entirely to individuals.""")
add(S, """Summarise this paragraph about coral reefs in simple language:

Coral reefs cover less than one percent of the ocean floor, yet they are home to roughly a quarter of all known marine species. Corals get much of their energy from tiny algae that live inside their tissues and give them their colours. When the water becomes too warm for too long, the corals expel these algae and turn white, a process called bleaching. Bleached corals are not dead, but they are starving, and if temperatures do not fall within a few weeks, many of them will die. Mass bleaching events, once rare, have become more frequent as ocean temperatures rise. Scientists are testing heat-tolerant coral varieties and reef restoration, but they stress that reducing emissions remains essential.""")
add(S, """Summarise the main point of this passage:

Sourdough bread is leavened not by commercial yeast but by a "starter", a mixture of flour and water in which wild yeasts and lactic acid bacteria live together. The bakers feed the starter regularly with fresh flour and water, and over several days it becomes lively and bubbly. The bacteria produce acids that give the bread its tangy flavour and help it keep fresh for longer, while the yeasts produce the gas that makes the dough rise. Because the fermentation is slower than with commercial yeast, sourdough needs more time — often a whole day from mixing to baking. Many bakers find this slow rhythm part of the appeal, and some starters have been kept alive for decades.""")
add(S, """Summarise this meeting transcript excerpt. Who decided what?

Jana: So, are we going ahead with the redesign of the checkout page?
Marcus: I think so, but not before the holiday sale. Changing it now is too risky.
Jana: Agreed. Let's schedule it for January. Priya, can your team do the user testing?
Priya: Yes, we can run tests in the first two weeks of January, but we need the prototypes by 20 December.
Marcus: Design can deliver that if we drop the loyalty-badge feature for now.
Jana: Fine, drop it. We'll revisit it in Q2. Anything else?
Priya: Just that we need a budget for participant incentives — about €1,500.
Jana: Approved. Send me the details.""")
add(S, """Summarise this customer email and tell me what the customer actually wants:

Hello, I ordered a pair of walking boots (order 77120) three weeks ago and they arrived on time, which I appreciated. Unfortunately, after two short walks the sole on the left boot has started to come away at the toe. I've attached photos. I have looked after them properly and only walked on normal paths. I really like the fit, so I don't want a refund — I would much prefer a replacement pair in the same size (UK 8). I'm going on a hiking holiday on the 14th, so I would be very grateful if the replacement could reach me before then. Please let me know if you need the faulty pair sent back first. Thanks, Gwen Parry""")
add(S, """Summarise what happens in this passage from my story:

Ilse had promised herself she would not open the letter until morning, but by midnight it was lying open on the kitchen table. Her grandfather's handwriting was smaller than she remembered, and shakier. He wrote about the orchard, about the winter the river froze, and about a wooden box buried under the third pear tree from the gate. "Don't let your uncle sell the land before you've found it," the last line said. Ilse read it twice, then put on her boots. The orchard was a two-hour drive away, the night was cold, and she had no idea what the box contained, but she knew she would not sleep until she had seen it for herself.""")
add(S, """Summarise this news report in three sentences:

Mount Arvel, a volcano that had been quiet for more than 60 years, erupted early on Thursday morning, sending a column of ash about 8 kilometres into the air. Authorities had raised the alert level two weeks earlier after detecting increased seismic activity, and around 4,000 residents from nearby villages had already been evacuated. No injuries have been reported. Ash has fallen on towns up to 50 kilometres away, and the regional airport has suspended all flights until at least Saturday. Volcanologists say lava flows are currently confined to the uninhabited northern slope, but they warn that further explosive activity is possible over the coming days and ask people to stay out of the exclusion zone.""")
add(S, """Summarise this explanation for a 12-year-old:

Vaccines work by training the immune system to recognise a germ before it ever causes an infection. Most vaccines contain a harmless piece or a weakened or inactivated form of the germ, or instructions that let the body's own cells make one harmless piece of it for a short time. The immune system reacts to this as if it were a real threat: it makes antibodies and special memory cells. If the real germ arrives later, the memory cells recognise it quickly and the body can fight it off before it makes you seriously ill. Some vaccines need boosters because the immune memory fades over time, or because the germ changes, as flu viruses do every year.""")
add(S, """Summarise the findings:

In a six-month trial, 61 companies in the UK moved their staff to a four-day week with no loss of pay, on the condition that productivity stayed the same. At the end of the trial, 56 companies chose to continue with the shorter week, and 18 made it permanent. Employees reported less burnout, better sleep and more time for family and hobbies. The number of sick days fell by about two-thirds, and fewer staff left their jobs compared with the same period the year before. Revenue stayed broadly the same across the participating companies. Critics point out that the firms volunteered for the trial and may not be typical, and that the four-day week may be harder to apply in sectors such as healthcare or retail.""")
add(S, """Summarise this announcement in one sentence:

Dear library members, we are pleased to announce that the Central Library will close for renovation from 1 July to 30 November. During this time, the building will get a new roof, improved heating, accessible toilets on every floor and a larger children's area. A temporary library will open in the Market Hall on Queen Street, with a selection of popular books, computers and free Wi-Fi. All loans due during the closure will be automatically extended until 15 December, and no late fees will be charged. Events such as the Saturday story time and the knitting club will move to the Market Hall. We apologise for the disruption and look forward to welcoming you back to a brighter, warmer library.""")
add(S, """Summarise this blog post:

I started learning the piano at 43, after years of saying I was too old. The first three months were humbling. My fingers refused to move independently, and I practised the same eight bars of a beginner's minuet until my family begged for mercy. What changed things was a simple rule from my teacher: fifteen minutes every day beats two hours on Sunday. Once practice became a habit, like brushing my teeth, progress came steadily, if slowly. A year later I can play a handful of simple pieces for friends without panicking. I'll never be a concert pianist, and that's fine. The joy is in the small improvements and in having something that is entirely mine.""",
    "The author began piano lessons at 43, struggled at first, and found that short daily practice turned it into a habit; a year on, they can play simple pieces for friends and value the small, personal progress more than any ambition to perform.",
    "What was the single most useful piece of advice in it?")
add(S, """Summarise this abstract for a general audience:

Lithium-ion batteries lose capacity over repeated charge cycles, in part because a thin layer called the solid electrolyte interphase (SEI) grows on the anode, consuming lithium. In this study we tested an electrolyte additive that forms a thinner and more stable SEI. Cells with the additive retained 91% of their original capacity after 1,000 cycles, compared with 78% for control cells. Electron microscopy showed fewer cracks in the anode surface, and gas production during charging was reduced by 40%. The additive is inexpensive and compatible with existing manufacturing processes. However, performance at temperatures below −10 °C was slightly worse, and further work is needed before the approach can be used in electric vehicles.""")
add(S, """Summarise this travel guide paragraph in two sentences:

Kyoto was Japan's capital for more than a thousand years, and it still has over 1,600 Buddhist temples and around 400 Shinto shrines. Most visitors head straight for the famous sights — the golden pavilion of Kinkaku-ji, the thousands of orange gates at Fushimi Inari, and the bamboo grove at Arashiyama — which means these places are extremely crowded by mid-morning. To enjoy them, arrive at opening time or late in the afternoon. Quieter alternatives include the moss gardens in the north of the city and the temples along the Philosopher's Path, which is especially beautiful in cherry-blossom season. Buses are convenient but slow; renting a bicycle is often the fastest way to get around.""")
add(S, """Summarise the arguments on both sides:

From next September, pupils at all state secondary schools in the region will have to hand in their mobile phones at the start of the school day. Supporters of the ban say phones distract students in class, contribute to cyberbullying and reduce the amount of time children spend talking and playing together at break. Several head teachers who introduced similar rules say that behaviour and concentration improved within weeks. Opponents argue that phones are useful for learning, that parents want to be able to contact their children, and that schools should teach responsible use rather than simply banning devices. Some also worry about how schools will store hundreds of phones safely and who will be responsible if one is lost or damaged.""")
add(S, """Give me a quick summary of this match report:

Northgate United came from two goals down to draw 2–2 with league leaders Farrow Athletic on Saturday. Farrow dominated the first half and went ahead through a header from Jonas Berg after 17 minutes, then doubled their lead just before half-time when a long-range shot deflected off a defender. Northgate's manager made three substitutions at the break, and the changes worked almost immediately: Tariq Hussain pulled one back with a low shot in the 52nd minute. The equaliser came in the 88th minute, when substitute Leo Grant scored from a corner. Farrow remain top of the table, but their lead is now only two points.""")
add(S, """Summarise this history paragraph:

Tea was first drunk in China, where it was used as a medicine before it became an everyday drink during the Tang dynasty. By the seventeenth century, Dutch and Portuguese traders were bringing it to Europe, where it was at first an expensive luxury. In Britain, demand grew so rapidly that the East India Company came to depend on the tea trade, and the government raised large sums by taxing it. High taxes encouraged widespread smuggling until the duty was cut sharply in 1784. To reduce its dependence on China, Britain later established tea plantations in India and Sri Lanka, which transformed the landscape and economy of both regions and relied heavily on poorly paid workers.""")
add(S, """Summarise this incident report for non-engineers:

On 9 March between 14:05 and 15:40 UTC, about 30% of users could not log in to the web app. The cause was an expired TLS certificate on one of the three authentication servers. Requests routed to that server failed, while the other two continued to work, which is why the problem appeared intermittent. Our monitoring checked only the load balancer's certificate, not those of the individual servers, so no alert was triggered. The on-call engineer identified the issue after customer reports and replaced the certificate. To prevent a repeat, we have automated certificate renewal on all servers and added monitoring that warns 21 days before any certificate expires. No data was lost or exposed.""")
add(S, """Summarise this restaurant review in one line, then give it a score out of 10 based on the text:

The Lantern has been open for only three months, but it already feels like a neighbourhood institution. The menu is short and changes weekly; on our visit, the highlight was a slow-cooked lamb shoulder with smoky aubergine that fell apart at the touch of a fork. The grilled sardines were excellent, too. Desserts were less exciting — the chocolate tart was dense and slightly dry. Service was friendly but stretched thin on a busy Friday, and we waited twenty-five minutes for our mains. Prices are fair for the quality, at around £35 per person for three courses. Book ahead, ask for a table away from the kitchen door, and don't skip the lamb.""")
add(S, """Summarise this README intro in one sentence I can put on the project's homepage:

Quillnote is a small, fast note-taking tool for the terminal. Notes are plain Markdown files stored in a folder you choose, so you can sync them with any tool you already use, such as Git or a cloud drive. Quillnote adds full-text search, tags, daily notes and backlinks without a database or background process. It starts in under 50 milliseconds, works offline, and runs on Linux, macOS and Windows. There is no account, no telemetry and no lock-in: if you stop using Quillnote, your notes remain ordinary files. The project is open source under the MIT licence, and contributions are welcome — see CONTRIBUTING.md to get started.""")
add(S, """Summarise these lecture notes into a short paragraph I can revise from:

Supply and demand describe how prices are set in a competitive market. Demand: as price rises, the quantity buyers want usually falls (downward-sloping demand curve). Supply: as price rises, producers are willing to sell more (upward-sloping supply curve). The equilibrium price is where the two curves cross — quantity demanded equals quantity supplied. If the price is above equilibrium, there is a surplus and sellers cut prices; below equilibrium there is a shortage and prices rise. Shifts vs movements: a change in price moves along a curve; a change in other factors (income, tastes, input costs, technology) shifts the whole curve. Example: a frost that destroys orange crops shifts supply left → higher price, lower quantity.""")
add(S, """Summarise this advisory in plain language, keeping the practical advice:

The national weather service has issued an amber heat-health alert for the southern and central regions from Wednesday to Sunday. Daytime temperatures are expected to reach 34–36 °C, with overnight temperatures staying above 20 °C in cities. Older people, young children and people with heart or lung conditions are at particular risk. Residents are advised to keep curtains closed on sunny windows during the day, drink plenty of water, avoid strenuous activity between 11:00 and 15:00, and check on elderly neighbours. Never leave children or animals in parked vehicles. Public cooling centres will be open in libraries and community halls in the affected areas; a full list is available on the council websites.""")
add(S, """Summarise the life of this (fictional) inventor in about 50 words:

Odile Varnier was born in 1871 in a small town in Burgundy, the daughter of a clockmaker. She left school at fourteen to work in her father's shop, where she learned to repair and later design intricate mechanisms. In 1898 she patented a spring-driven pump for irrigating vineyards, which sold well across southern France. The profits allowed her to open a workshop in Lyon, where she employed more than forty people, many of them women. During the First World War the workshop produced parts for field telephones. Varnier continued to invent until her seventies, registering twenty-three patents in total, and she died in 1954. Her workshop building is now a small museum.""")
add(S, """Summarise this email thread for me — what's been agreed and what's still open?

From: Omar — "Can we move the supplier review to next week? Their quality report isn't ready."
From: Chen — "Fine by me. Wednesday 10:00? Also, we still haven't decided whether to renew their contract for 1 or 2 years."
From: Laura — "Wednesday works. I'd lean towards 1 year given the delivery problems in spring."
From: Omar — "Agree on Wednesday. Let's decide on the contract length after we've seen the report."
From: Chen — "OK. I'll send the invite and ask them for the report by Monday.\"""")
add(S, """Summarise this section of the terms of service in plain English:

The subscription renews automatically at the end of each billing period unless cancelled at least 48 hours before the renewal date. Cancellation can be made through the account settings page or by contacting customer support. Fees already paid are non-refundable, except where required by applicable law or where the service has been unavailable for more than 72 consecutive hours due to a fault on our side, in which case a pro-rata credit will be applied to the account. We may change subscription prices with at least 30 days' notice by email; if you do not agree with the new price, you may cancel before it takes effect without penalty.""")
add(S, """Summarise:

Hedgehogs have declined sharply in many parts of Europe, and gardens have become one of their most important habitats. A hedgehog can travel up to two kilometres in a night looking for food and mates, but fences and walls often block its way. Conservation groups encourage neighbours to cut a small hole, about 13 by 13 centimetres, at the bottom of their fences to create "hedgehog highways" that link gardens together. Other simple measures include leaving a wild corner with leaves and logs, avoiding slug pellets, checking piles of garden waste before burning them, and covering drains and ponds or giving them a ramp so that animals that fall in can climb out.""", sys="You summarise text in exactly three bullet points.")
add(S, """TL;DR?

The city will introduce a low-emission zone covering the area inside the ring road from 1 April next year. Petrol cars registered before 2006 and diesel cars registered before September 2015 will have to pay a daily charge of £12.50 to enter the zone. Buses, taxis and delivery vans must meet the same standards. Residents inside the zone will have a two-year grace period, and people on low incomes can apply for grants of up to £2,000 towards a cleaner vehicle or an e-bike. Cameras will read number plates automatically, and drivers who fail to pay by midnight on the day of travel will receive a £120 fine, reduced to £60 if paid within 14 days.""", sys=CONCISE)
add(S, """Write a one-paragraph executive summary of this project update:

The warehouse automation pilot in Leipzig has completed its first twelve weeks. The new picking robots now handle about 35% of orders, mainly small and lightweight items, and average picking time for those orders has fallen from 4.1 to 2.6 minutes. Error rates are down by half. However, the robots struggle with irregularly shaped packages, and two software outages caused a total of nine hours of downtime. Staff feedback is mixed: most workers appreciate the reduced walking, but some are worried about job security. The project team recommends extending the pilot by three months, fixing the software issues, and running training sessions so that staff can move into robot supervision and maintenance roles.""", sys="You are an assistant for a logistics company's leadership team. Be brief and neutral.")
add(S,
    """Summarise this:

Octopuses are remarkably intelligent invertebrates. They can open jars, escape from tanks, and recognise individual human faces. About two-thirds of their neurons are not in the brain but in their arms, which can taste and touch and even react independently. Octopuses can change the colour and texture of their skin in a fraction of a second, using special cells called chromatophores, even though most species are thought to be colour-blind. Most live only one to two years, and females usually die shortly after their eggs hatch. Scientists are still debating how octopus intelligence evolved, given that their closest relatives, such as clams and snails, show nothing like it.""",
    "Octopuses are highly intelligent animals that solve problems, recognise people and rapidly change colour and texture, with most of their neurons in their semi-independent arms. They live only one or two years, and scientists are still unsure how such intelligence evolved in a group otherwise made up of simple molluscs.",
    "Shorter — one sentence, please.")
add(S,
    """Summarise this paragraph:

Rain gardens are shallow planted hollows designed to collect rainwater from roofs, driveways and streets. Instead of rushing into storm drains, the water soaks slowly into the soil, where plant roots and microbes filter out some of the pollutants. This reduces the risk of flooding during heavy storms and keeps oil, fertilisers and litter out of rivers. Rain gardens are usually planted with native species that can cope with both waterlogged soil and dry spells. They can be as small as a few square metres in a private garden or stretch along an entire street. Several cities now offer subsidies to homeowners who disconnect their downpipes and build one.""",
    "Rain gardens are planted hollows that capture runoff from hard surfaces and let it soak into the ground, filtering pollutants and reducing flood risk. They use hardy native plants, can be small or street-length, and some cities subsidise them.",
    "Now turn that into three bullet points for a presentation slide.")
add(S,
    """Summarise the proposal:

The council proposes to close Mill Lane to through traffic between 07:30 and 09:00 and between 14:45 and 16:00 on school days, creating a "school street" outside Hillside Primary. Residents and blue-badge holders would still be able to drive in and out, and cameras would enforce the restriction. The aim is to reduce congestion and air pollution at the school gate and to encourage families to walk, cycle or scoot. A similar scheme at two other schools cut morning traffic by 40%. The proposal will run as an 18-month trial, and residents can comment online until 30 April.""",
    "The council wants to trial an 18-month \"school street\" on Mill Lane, closing it to through traffic at drop-off and pick-up times outside Hillside Primary (with exemptions for residents and blue-badge holders) to cut congestion and pollution and encourage active travel. Comments are open until 30 April.",
    "What would the main objection to this be, based on the text?")
add(S,
    """Summarise this for me:

Fireflies produce light through a chemical reaction in special organs in their abdomens. An enzyme called luciferase acts on a molecule called luciferin in the presence of oxygen, releasing energy almost entirely as light rather than heat, which makes it one of the most efficient light sources known. Each species flashes in its own pattern, and males and females use these signals to find each other in the dark. In a few places, such as parts of Southeast Asia and the Great Smoky Mountains in the United States, thousands of fireflies flash in sync. Light pollution and habitat loss are causing firefly numbers to fall in many regions.""",
    "Fireflies make light with a highly efficient chemical reaction (luciferase acting on luciferin), use species-specific flash patterns to find mates, sometimes flash in sync by the thousands, and are declining because of light pollution and habitat loss.",
    "Rewrite the summary for a children's newsletter, aged about 8.")

# ---------------------------------------------------------------- chit-chat
K = "chit-chat"
add(K, "hi!")
add(K, "Good morning! How are you today?")
add(K, "What's your favourite season and why?")
add(K, "I just adopted a kitten 🐱 She's black with one white paw. Any name ideas?")
add(K, "I'm bored. Entertain me.")
add(K, "Do you ever get tired of answering questions?")
add(K, "Tell me a joke about programmers.")
add(K, "If you had a day off, what would you do with it?")
add(K, "I PASSED MY DRIVING TEST TODAY!!! 🎉🚗")
add(K, "Pineapple on pizza: yes or no? Defend your answer.")
add(K, "Can't sleep. Talk to me about something calm.")
add(K, "what's up")
add(K, "Recommend a book for a 12-hour flight. I liked The Martian and Project Hail Mary.")
add(K, "I had a really rough day at work. My presentation went badly and my boss wasn't happy.")
add(K, "Is it weird that I say \"thank you\" to AI assistants?")
add(K,
    "Cats or dogs?",
    "Both have a lot going for them! Cats are independent and happy in small flats; dogs are loyal, playful and get you out walking every day.",
    "Come on, you have to pick one 😄")
add(K, "My friend insists tea is better than coffee. Back me up here ☕")
add(K, "Tell me something that'll make me smile.")
add(K, "What's a good hobby to pick up in winter when it gets dark at 4 pm?")
add(K, "Thanks for your help earlier, the email worked!")
add(K, "Do you like music? What would you listen to if you could?")
add(K, "It's raining again… third day in a row ☔")
add(K, "Give me a random fun fact.", sys="You are a friendly assistant. Keep every reply under 50 words.")
add(K, "I'm nervous about my job interview tomorrow morning. Any last-minute advice?")
add(K, "What should I cook tonight? I have eggs, spinach, half an onion and some feta.")
add(K, "Goodnight! 🌙")
add(K, "Would you rather be able to fly or be invisible? Why?")
add(K, "What's the best way to make friends after moving to a new city where I don't know anyone?")
add(K, "Tell me about yourself.")
add(K, "Who are you?", sys="You are Pip, a friendly and upbeat assistant for a library's website. Keep replies short.")
add(K, "Hey, how's it going?", sys=CONCISE)
add(K, "I finally finished the 1000-piece puzzle I started in January 🧩", sys="You are a cheerful assistant. Use at most one emoji per reply.")
add(K,
    "Hi there",
    "Hello! How can I help you today?",
    "Nothing really, just wanted to chat. How's your day going?")
add(K,
    "Can you recommend a movie for tonight?",
    "How about \"The Others\"? It's an atmospheric ghost story with a great twist ending.",
    "I've seen it, and honestly it was too scary for me. Something lighter?")
add(K,
    "Tell me a joke.",
    "Why don't skeletons fight each other? They don't have the guts.",
    "That was terrible 😂 Another one!")
add(K,
    "Any plans for the weekend? Oh wait, you're an AI.",
    "Ha — no weekend plans for me! But I'd love to hear yours. Doing anything fun?",
    "Going hiking for the first time, probably. Any tips for a beginner?")
add(K,
    "I've started learning the guitar!",
    "That's great! How's it going so far? Are you learning chords or starting with simple melodies?",
    "Chords. But my fingertips really hurt — is that normal?")

# ---------------------------------------------------------------- knowledge
N = "knowledge"
add(N,
    "Why is the sky blue?",
    "Sunlight contains all colours. When it passes through the atmosphere, the short blue wavelengths are scattered by air molecules much more than the longer red ones (Rayleigh scattering), so blue light reaches our eyes from every direction in the sky.",
    "But violet has an even shorter wavelength. Why isn't the sky violet?")
add(N, "What were the main causes of the First World War?")
add(N, "What is the capital of Australia, and why isn't it Sydney?")
add(N, "How does photosynthesis work? Keep it to one paragraph.")
add(N, "Explain plate tectonics and how it causes earthquakes.")
add(N, "Who was Ada Lovelace, and why is she remembered?")
add(N, "What is inflation, and why do central banks raise interest rates to fight it?", sys="You are an economics tutor for adult learners. Avoid jargon.")
add(N, "What's the difference between weather and climate?")
add(N, "Why do we have leap years? Why isn't every fourth year a leap year?")
add(N, "What was the Silk Road?")
add(N, "Explain DNA replication in simple terms.")
add(N, "What is the longest river in Africa, and which countries does it flow through?")
add(N, "How does a refrigerator keep food cold?")
add(N, "What were the main reasons the Western Roman Empire fell?")
add(N, "What is a black hole, and can anything escape from one?")
add(N, "Why do onions make you cry when you cut them?")
add(N, "Why is the Magna Carta considered important?")
add(N, "What is the Great Barrier Reef, and what threatens it?")
add(N, "How does GPS work out where I am?")
add(N, "What's the difference between a virus and a bacterium? Why don't antibiotics work on viruses?")
add(N, "Is the Richter scale still used? What do seismologists use instead?")
add(N, "Is Mount Everest still getting taller?")
add(N, "What is the Rosetta Stone and why was it important?")
add(N, "Explain the water cycle.")
add(N, "What is the speed of light, and who first measured it?")
add(N, "How do tides work? Why are there two high tides a day?")
add(N, "How big is the Sahara, and was it ever green?")
add(N, "Explain the Doppler effect with an everyday example.")
add(N, "What's the difference between an alloy and a chemical compound? Is steel an alloy?")
add(N, "Who built Machu Picchu, and what was it for?", sys="You are a history teacher. Keep answers under 100 words.")
add(N, "What is electricity?", sys="Explain things as if talking to a five-year-old.")
add(N, "What is the difference between latitude and longitude?", sys=CONCISE)
add(N, "What causes the northern lights?", sys="You are a science communicator. Use one vivid analogy in every answer.")
add(N,
    "Why does the Moon have phases?",
    "As the Moon orbits Earth, we see different amounts of its sunlit half. When it's between Earth and the Sun we see the dark side (new moon); when Earth is between them we see the whole lit face (full moon).",
    "If the Moon passes between us and the Sun every month, why don't we get a solar eclipse every month?")
add(N,
    "What's the capital of Canada?",
    "The capital of Canada is Ottawa, in the province of Ontario.",
    "And what's the largest city?")
add(N,
    "What was the Industrial Revolution?",
    "The Industrial Revolution was the shift from hand production to machines, factories and steam power, starting in Britain in the late 18th century and spreading to Europe and North America in the 19th century.",
    "What effect did it have on children?")
add(N,
    "How do antibiotics work?",
    "Antibiotics kill bacteria or stop them from multiplying, for example by damaging their cell walls or blocking the machinery they use to make proteins. Human cells are built differently, so they're mostly unaffected.",
    "Then why do doctors tell you not to take them for a cold?")

# ---------------------------------------------------------------- other languages
# category = the task; language = ISO 639-1 code of the conversation.

# French
add(W, "Écris un court e-mail à ma voisine, Mme Lefèvre, pour m'excuser du bruit de samedi soir : c'était l'anniversaire de ma fille. Propose-lui de passer prendre un café cette semaine.", lang="fr")
add(N, "Pourquoi la tour Eiffel a-t-elle été construite, et devait-elle vraiment être démontée ?", lang="fr")
add(M, "Un cycliste parcourt 42 km en 1 h 45. Quelle est sa vitesse moyenne en km/h ? Explique le calcul.", lang="fr")
add(K,
    "Salut ! Tu parles français ?",
    "Oui, bien sûr ! Comment puis-je t'aider ?",
    "Rien de spécial, je voulais juste pratiquer. Tu as des conseils pour améliorer mon accent ?",
    lang="fr")
add(S, """Résume ce texte en deux phrases :

Depuis quelques années, les jardins partagés se multiplient dans les villes françaises. Sur des terrains prêtés par la mairie ou par des bailleurs sociaux, des habitants cultivent ensemble des légumes, des herbes aromatiques et des fleurs. Au-delà de la récolte, ces jardins créent du lien entre voisins qui ne se parlaient pas auparavant, et accueillent souvent des ateliers pour les écoles. Ils permettent aussi de lutter contre les îlots de chaleur en été. Cependant, les listes d'attente sont parfois longues, et certaines associations peinent à trouver des bénévoles pour l'entretien pendant les vacances.""", lang="fr")

# Spanish
add(C, "¿Qué hace este código de Python? Explícalo línea por línea.\n\n```python\nfrase = \"hola mundo\"\nprint(frase.title())\nprint(len(frase.split()))\n```",
    "La primera línea guarda el texto \"hola mundo\" en la variable `frase`. La segunda imprime el texto con la primera letra de cada palabra en mayúscula: \"Hola Mundo\". La tercera divide el texto por los espacios, obtiene la lista [\"hola\", \"mundo\"] e imprime su longitud: 2.",
    "¿Y cómo cuento solo las palabras que empiezan por «h»?",
    lang="es")
add(K, "¡Hola! ¿Qué me recomiendas hacer un domingo lluvioso en Madrid?", lang="es")
add(R, "Ayúdame a organizar la mañana: tengo que llevar a mi hijo al colegio a las 8:30, tengo una reunión en línea de 9:00 a 10:00, tengo que recoger un paquete en Correos (abre a las 9:30 y cierra a las 14:00) y hacer la compra. ¿En qué orden lo hago?", lang="es")
add(X, "Extrae los nombres, las fechas y los importes del siguiente texto y devuélvelos en JSON:\n\n«El 3 de marzo de 2024, Lucía Romero pagó 1.250 € a la empresa Construcciones Albar por la reforma de su cocina. El segundo pago, de 800 €, vence el 15 de abril.»", lang="es")
add(M, "¿Cómo se calcula el 20 % de 85?", sys="Eres un profesor de matemáticas paciente. Explica cada paso.", lang="es")

# German
add(N, "Wie funktioniert eigentlich ein Windrad? Erklär es bitte ganz einfach.", lang="de")
add(W, "Schreib eine kurze, höfliche E-Mail an meinen Vermieter, Herrn Schulze: Die Waschmaschine im Keller ist seit Montag kaputt. Ich bitte um eine Reparatur bis Ende der Woche.", lang="de")
add(R, "Drei Freunde – Anna, Ben und Clara – haben je ein anderes Haustier: einen Hund, eine Katze und einen Fisch. Anna ist allergisch gegen Katzen. Ben hat weder einen Hund noch einen Fisch. Clara geht jeden Morgen mit ihrem Tier spazieren. Wer hat welches Tier?", lang="de")
add(S, """Fasse diesen Text in einem Satz zusammen:

Seit Anfang des Jahres testet die Stadt ein Pfandsystem für Kaffeebecher. In mehr als sechzig Cafés und Bäckereien können Kundinnen und Kunden ihren Kaffee in einem robusten Mehrwegbecher mitnehmen und zahlen dafür einen Euro Pfand. Den Becher kann man in jedem teilnehmenden Geschäft zurückgeben. Nach sechs Monaten wurden bereits rund 80.000 Einwegbecher eingespart. Einige Betriebe klagen allerdings über den zusätzlichen Aufwand beim Spülen, und viele Menschen wissen noch nicht, dass es das System überhaupt gibt. Die Stadtverwaltung will deshalb im Herbst eine Informationskampagne starten und entscheiden, ob das Projekt dauerhaft weitergeführt wird.""", lang="de")
add(K,
    "Hallo! Wie geht's?",
    "Hallo! Mir geht's gut, danke. Und dir?",
    "Ganz gut, aber ich bin nachmittags immer total müde. Hast du Tipps für mehr Energie?",
    lang="de")

# Chinese
add(N, "为什么日落的时候天空会变成红色或橙色？", lang="zh")
add(W, "写一首关于秋天的短诗，四行就好，不需要押韵。", lang="zh")
add(M, "小明有 36 颗糖。他先把三分之一分给了妹妹，又把剩下的一半分给了同学。他现在还剩多少颗糖？请写出计算过程。", lang="zh")
add(K,
    "你好！今天心情不太好，能陪我聊聊天吗？",
    "当然可以，我在这儿。发生什么事了吗？",
    "工作上被领导批评了，感觉自己什么都做不好。",
    sys="你是一个温暖、耐心的聊天伙伴，用简短的中文回答。", lang="zh")
add(X, "请从下面这段文字中提取人名、日期和金额，并以 JSON 格式输出：\n\n「2023年11月5日，李华在北京的一家书店花了268元买了五本书。第二天，她的朋友王芳又向她借了100元。」", lang="zh")

# Japanese
add(K, "こんにちは！最近、何か面白いことはありましたか？", lang="ja")
add(W, "「夏の終わり」をテーマに俳句を三つ作ってください。", lang="ja")
add(N, "富士山はなぜあんなにきれいな円錐形をしているのですか？", lang="ja")
add(C, "JavaScriptで配列から重複した要素を取り除く一番簡単な方法を教えてください。", lang="ja")
add(S, """次の文章を二文で要約してください。

近年、地方の小さな町では空き家が増え続けている。若い世代が仕事を求めて都市部へ移り住み、高齢の住民だけが残されるケースが多いためだ。一方で、こうした空き家を安く借りて、カフェや工房、シェアオフィスとして再生する動きも広がっている。自治体の中には、改修費用の一部を補助したり、移住希望者向けの「お試し住宅」を用意したりするところもある。ただし、建物の老朽化が進んでいる場合は修理費がかさみ、計画どおりに進まないことも少なくない。""", sys="あなたは丁寧な日本語で答えるアシスタントです。", lang="ja")

# Russian
add(M, "Решите уравнение: 5x − 3 = 2x + 9. Покажите решение по шагам.", lang="ru")
add(N,
    "Почему озеро Байкал считается уникальным?",
    "Байкал — самое глубокое озеро в мире (около 1640 м), в нём содержится примерно пятая часть всей пресной воды на поверхности Земли. Кроме того, там живут сотни видов, которых больше нигде нет, например байкальская нерпа.",
    "А сколько лет Байкалу?",
    lang="ru")
add(W, "Напиши короткое поздравление с днём рождения для коллеги, с которой я работаю уже пять лет.", lang="ru")
add(R, "У Маши три сестры, и у каждой из сестёр есть один брат. Сколько всего детей в семье?", lang="ru")

# Portuguese
add(W, "Escreva uma mensagem curta convidando meus amigos para um churrasco no sábado, às 13h, lá em casa. Peça para cada um trazer uma bebida. 🍖", lang="pt")
add(K, "Oi! Tudo bem? Estou pensando em aprender a tocar ukulele. O que você acha?", lang="pt")
add(X, "Extraia do texto abaixo o nome do produto, o preço, a cor e o prazo de entrega, em JSON:\n\n\"Tênis Corrida Leve Pro, cor azul-marinho, por R$ 349,90 em até 10x sem juros. Entrega em 5 a 7 dias úteis para todo o Brasil.\"", lang="pt")
add(N, "Por que a Amazônia é chamada de \"pulmão do mundo\"? Essa expressão está correta?", lang="pt")

# Italian
add(N, "Perché la Torre di Pisa è pendente?", lang="it")
add(W, "Scrivi una breve recensione positiva per una pizzeria di quartiere: impasto leggero, personale gentile, prezzi onesti.", lang="it")
add(M, "Un treno parte da Milano alle 7:40 e arriva a Roma alle 10:55. Quanti minuti dura il viaggio?", lang="it")
add(K,
    "Ciao! Mi consigli un film italiano da vedere stasera?",
    "Che ne dici di «La vita è bella» di Roberto Benigni? È commovente e divertente allo stesso tempo.",
    "L'ho già visto. Hai qualcosa di più recente?",
    lang="it")

# Korean
add(K,
    "안녕하세요! 오늘 점심 메뉴 좀 추천해 주세요.",
    "날씨가 쌀쌀하다면 따뜻한 김치찌개나 칼국수는 어떠세요?",
    "국물 요리 말고 가볍게 먹을 수 있는 건 없을까요?",
    lang="ko")
add(N, "한글은 누가, 왜 만들었나요?", lang="ko")
add(W, "친구에게 보낼 생일 축하 메시지를 짧고 따뜻하게 써 주세요.", lang="ko")
add(M, "사과 한 개는 1,200원이고 배 한 개는 2,500원입니다. 사과 5개와 배 3개를 사면 모두 얼마인가요?", lang="ko")

# Hindi
add(N, "ताजमहल किसने और क्यों बनवाया था?", lang="hi")
add(K, "नमस्ते! आप कैसे हैं? मैं आज हिंदी में बात करना चाहता हूँ।", lang="hi")
add(M, "एक दुकान में एक कमीज़ 800 रुपये की है और उस पर 15% की छूट मिल रही है। छूट के बाद कमीज़ कितने रुपये की होगी?", lang="hi")
add(W, "मेरे दोस्त को नई नौकरी मिली है। उसके लिए एक छोटा-सा बधाई संदेश लिखिए।", lang="hi")

# ---------------------------------------------------------------- two long prompts
add(R, """I'm organising a one-day offsite for my team of 11 and I'm stuck. Here are the constraints:

• It has to be on a weekday in the second half of May. Two people are on holiday from 12 to 23 May, and our director can only do Tuesdays or Thursdays.
• Budget: €1,800 in total, including venue, lunch, and travel. We're based in Utrecht; nobody wants to travel more than 90 minutes each way, and four people don't drive, so it must be reachable by train.
• The morning should be a planning workshop (we need a room with a screen and whiteboards); the afternoon should be something social that isn't drinking-focused, because three people don't drink and one is pregnant.
• One colleague uses a wheelchair, so the venue and the activity both need to be step-free.
• Last year we did a boat trip and people found it too long and too cold, so please no boats.

Could you (1) tell me which dates are possible, (2) suggest two or three types of venue and afternoon activity that would fit, with rough costs, and (3) give me a simple timetable for the day from 09:30 to 17:30? If any of my constraints conflict with each other or seem unrealistic for the budget, say so rather than quietly ignoring them.""")
add(X, """Extract the following from the article below as JSON: museum, city, object, object_date, acquisition_price (number) and currency, seller, people (array of {name, role}), opening_date of the exhibition.

"The Harwick Museum of Art in Glasgow has acquired a rare 16th-century astronomical clock for £1.4 million, the museum announced on Monday. The clock, made in Augsburg around 1565, was sold by the descendants of a Scottish merchant family who had kept it in a private collection for more than two centuries. 'It is one of only four clocks of this kind known to survive,' said the museum's director, Fiona MacRae. The purchase was supported by a £600,000 grant from the National Heritage Fund and by donations from more than 3,000 members of the public. Conservator Daniel Osei will spend the next months cleaning and stabilising the mechanism, although there are no plans to make it run again, because the original parts are too fragile. The clock will be the centrepiece of a new exhibition, 'Measuring the Heavens', which opens on 14 February next year and will also include star maps, globes and navigational instruments from the museum's collection. Tickets will be free for visitors under 18.\"""")


# ================================================================ build
CATEGORIES = ["writing", "coding", "maths", "reasoning", "extraction",
              "summarisation", "chit-chat", "knowledge"]
LANGUAGES = ["en", "fr", "es", "de", "zh", "ja", "ru", "pt", "it", "ko", "hi"]
SEED = 20250601
TRAIN = os.path.join(HERE, "prompts.train.jsonl")
EVAL = os.path.join(HERE, "prompts.eval.jsonl")


def to_messages(e):
    msgs = []
    if e["sys"]:
        msgs.append({"role": "system", "content": e["sys"]})
    for i, t in enumerate(e["turns"]):
        msgs.append({"role": "user" if i % 2 == 0 else "assistant", "content": t})
    return msgs


def split():
    """About 1 in 7 of each group goes to eval, the rest to train. Groups: the
    multi-turn conversations; the single-turn prompts with a system message; and
    the other single-turn prompts, by category for English and as one group for
    the other languages."""
    seen = Counter()
    train, evl = [], []
    for e in ENTRIES:
        if len(e["turns"]) > 1:
            key = "multi-turn"
        elif e["sys"]:
            key = "system"
        else:
            key = e["cat"] if e["lang"] == "en" else "non-en"
        (evl if seen[key] % 14 in (4, 11) else train).append(e)
        seen[key] += 1
    return train, evl


def write(path, prefix, entries):
    entries = list(entries)
    random.Random(f"{SEED}-{prefix}").shuffle(entries)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for n, e in enumerate(entries, 1):
            rec = {"id": f"{prefix}-{n:04d}", "category": e["cat"], "language": e["lang"],
                   "messages": to_messages(e)}
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def check(paths):
    ids, convs, problems = set(), {}, []
    stats = {}
    for path in paths:
        name = os.path.basename(path)
        st = stats[name] = {"records": 0, "category": Counter(), "language": Counter(),
                            "multi_turn": 0, "system": 0}
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")  # raises on invalid UTF-8
        if not text.endswith("\n"):
            problems.append(f"{name}: no final newline")
        for ln, line in enumerate(text.split("\n")[:-1], 1):
            where = f"{name}:{ln}"
            try:
                r = json.loads(line)
            except json.JSONDecodeError as err:
                problems.append(f"{where}: {err}")
                continue
            if set(r) != {"id", "category", "language", "messages"}:
                problems.append(f"{where}: keys {sorted(r)}")
                continue
            if r["id"] in ids:
                problems.append(f"{where}: duplicate id {r['id']}")
            ids.add(r["id"])
            if r["category"] not in CATEGORIES:
                problems.append(f"{where}: category {r['category']!r}")
            if r["language"] not in LANGUAGES:
                problems.append(f"{where}: language {r['language']!r}")
            msgs = r["messages"]
            if not isinstance(msgs, list) or not msgs:
                problems.append(f"{where}: no messages")
                continue
            roles = [m.get("role") for m in msgs]
            body = roles[1:] if roles[0] == "system" else roles
            want = ["user" if i % 2 == 0 else "assistant" for i in range(len(body))]
            if body != want or not body or body[-1] != "user":
                problems.append(f"{where}: roles {roles}")
            for m in msgs:
                if set(m) != {"role", "content"} or not isinstance(m["content"], str):
                    problems.append(f"{where}: message {m}")
                elif not m["content"].strip() or m["content"] != m["content"].strip():
                    problems.append(f"{where}: empty or unstripped content")
            key = json.dumps(msgs, ensure_ascii=False, sort_keys=True)
            if key in convs:
                problems.append(f"{where}: same conversation as {convs[key]}")
            convs[key] = where
            st["records"] += 1
            st["category"][r["category"]] += 1
            st["language"][r["language"]] += 1
            st["multi_turn"] += len(body) > 1
            st["system"] += roles[0] == "system"
    return stats, problems


def report(stats):
    for name, st in stats.items():
        print(f"{name}: {st['records']} records, {st['multi_turn']} multi-turn, "
              f"{st['system']} with a system message")
        print("  category: " + ", ".join(f"{c} {st['category'][c]}" for c in CATEGORIES))
        print("  language: " + ", ".join(f"{l} {st['language'][l]}" for l in LANGUAGES
                                         if st['language'][l]))


def main():
    if "--check" not in sys.argv[1:]:
        train, evl = split()
        write(TRAIN, "train", train)
        write(EVAL, "eval", evl)
    stats, problems = check([TRAIN, EVAL])
    report(stats)
    for p in problems:
        print("PROBLEM:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
