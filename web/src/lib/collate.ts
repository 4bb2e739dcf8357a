/** Names in the order people read them: "Agent 9" before "Agent 10", "@askpanera" beside "@AskPayPal". */
export const byName = new Intl.Collator('en-GB', { numeric: true, sensitivity: 'base' });
