/**
 * Short definitions shown with each report, in the words of docs/metrics.md (the
 * contract: the same word from the fact to the label). Change them together.
 */

export const HELP = {
  volume: 'Inbound mentions: customer messages stored in the period, counted by local hour of week (Monday 00:00 first) and by day in the brand\u2019s time zone.',
  heatmap: 'Darker cells had more inbound mentions (square-root colour scale, so quiet hours stay visible). Rows are days (Monday first), columns the hour of day.',
  'first-response': 'First response: from the oldest unanswered inbound message of a cycle to the first human reply. A reopened conversation is measured from the reopening. Auto-acknowledgements and bot messages never count as a response.',
  'next-response': 'Next response: from the oldest unanswered inbound message to a later human reply in the same conversation, while the customer was waiting.',
  'reply-time': 'Reply time per message: from each inbound message to the first brand reply to it (reply link) \u2014 the TWCS \u201creply time per message\u201d. Imported history gives the same figures as the command-line report (parley report response-times).',
  percentiles: 'Median and percentiles use the type-2 definition (\u201caveraged inverted CDF\u201d): every percentile is an observed time or the midpoint of two.',
  within60: 'Share within 60 min: responses that took 60.0 minutes or less, divided by all responses measured.',
  distribution: 'How many responses fell into each band of time.',
  byChannel: 'The same figures for each channel account.',
  responseRate: 'Response rate (\u201calways respond\u201d): mentions that needed a response (triage action \u201crespond\u201d) and got one, divided by the mentions that needed one. Untriaged mentions are counted apart, never guessed.',
  accolades: 'Accolades: inbound messages that triage marked as thanks or praise, per day.',
  sla: 'SLA attainment: clocks met \u00f7 (met + breached). A clock is met when it stops in time and breached when it passes its due time; per clock: first response, next response, resolution. Imported history has no SLA clocks: it is not in these figures.',
  turnaround: 'Approval turnaround: from a reply\u2019s writing to the approver\u2019s decision (this wait is part of the customer\u2019s response time). Expert turnaround: from a question to an expert to the answer.',
  backlog: 'Open work right now (every conversation that is not resolved), by status, and how long customers have been waiting. This is the current state: the period does not apply; the team, agent, channel, network and public/private filters do.',
  agents: 'Per agent (the assignee or author of each fact): responses (first and next), median first and next response, resolutions, reopens, accolades, SLA attainment. A response sent from Parley is its author\u2019s; one seen on the network is the conversation\u2019s assignee\u2019s; an accolade is the assignee\u2019s when it arrived. Unassigned work counts for the team only, so team totals can exceed the sum of agents.',
  teams: 'Per team: the same figures as per agent, for each team\u2019s conversations. Resolutions include imported history (resolved outside Parley, with no agent and no SLA clocks).',
  sentiment: 'Inbound mentions per day by triage sentiment; \u201cuntriaged\u201d when triage had not run.',
  category: 'Inbound mentions per day by triage category.',
  business: 'Count durations in business hours only (each channel account\u2019s calendar); accounts without a calendar count wall-clock time.',
  staffing: 'Arrivals per hour of week are the inbound mentions that need (or may need) a response in the period, divided by how many times that hour occurred in it. Erlang C (or Erlang A with patience) turns them into agents; shrinkage turns agents into heads to schedule.',
  aht: 'Leave empty to plan with the measured handling time: per reply, the time its author had the conversation open (from the customer\u2019s message or their previous reply, at most 30 min), averaged over the period once 30 replies are measured, at concurrency 1. Type a number to set it by hand (e.g. elapsed time per conversation at the concurrency you run).',
  concurrency: 'Conversations an agent works at once; each agent counts as that many parallel servers.',
  concurrencyUnused: 'Not used with the measured handling time: that is focused time per reply, so the plan counts one conversation at a time. Type a handling time to plan with concurrency.',
  shrinkage: 'Share of paid time not available for contacts (breaks, training, meetings, absence). Heads = \u2308agents \u00f7 (1 \u2212 shrinkage)\u2309.',
  maxOccupancy: 'The plan never runs agents busier than this, even when the service level would be met.',
  patience: 'Mean time a waiting customer gives up after (Erlang A). Leave empty for Erlang C (nobody gives up).',
  serviceLevel: 'Service level: the share of contacts answered within the target time (abandoned ones count as misses).',
  gap: 'Gap = rostered heads \u2212 heads the plan asks for; negative means short.',
  simulate: 'The simulator replays the period\u2019s real arrival times against the roster, with the same customers in both runs (same seed), so the difference is the change alone.',
} as const;
