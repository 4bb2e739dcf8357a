/**
 * The care intent set and how the fine-grained banking77 intents (CC BY 4.0) map
 * onto it. Care intents are deliberately few: they route work, they don't describe
 * a product catalogue. `outage` has no banking77 counterpart and comes from cues.
 */

export const CARE_INTENTS = [
  'billing',
  'payment_issue',
  'refund',
  'delivery',
  'account_access',
  'account_change',
  'cancellation',
  'fraud_security',
  'technical_issue',
  'outage',
  'product_question',
] as const;
export type CareIntent = (typeof CARE_INTENTS)[number];

const GROUPS: Record<Exclude<CareIntent, 'outage'>, string[]> = {
  billing: [
    'card_payment_fee_charged', 'extra_charge_on_statement', 'exchange_charge', 'transfer_fee_charged', 'top_up_by_card_charge',
    'top_up_by_bank_transfer_charge', 'cash_withdrawal_charge', 'card_payment_wrong_exchange_rate',
    'wrong_exchange_rate_for_cash_withdrawal', 'transaction_charged_twice',
  ],
  payment_issue: [
    'declined_card_payment', 'declined_transfer', 'declined_cash_withdrawal', 'pending_card_payment', 'pending_transfer',
    'pending_cash_withdrawal', 'pending_top_up', 'failed_transfer', 'transfer_not_received_by_recipient',
    'balance_not_updated_after_bank_transfer', 'balance_not_updated_after_cheque_or_cash_deposit', 'top_up_failed',
    'top_up_reverted', 'reverted_card_payment?', 'transfer_timing', 'wrong_amount_of_cash_received', 'beneficiary_not_allowed',
  ],
  refund: ['request_refund', 'Refund_not_showing_up'],
  delivery: ['card_arrival', 'card_delivery_estimate'],
  account_access: [
    'passcode_forgotten', 'pin_blocked', 'unable_to_verify_identity', 'verify_my_identity', 'why_verify_identity',
    'verify_source_of_funds', 'verify_top_up',
  ],
  account_change: ['edit_personal_details', 'change_pin'],
  cancellation: ['terminate_account', 'cancel_transfer'],
  fraud_security: [
    'compromised_card', 'lost_or_stolen_card', 'lost_or_stolen_phone', 'card_payment_not_recognised',
    'cash_withdrawal_not_recognised', 'direct_debit_payment_not_recognised',
  ],
  technical_issue: ['card_not_working', 'contactless_not_working', 'virtual_card_not_working', 'card_swallowed', 'activate_my_card'],
  product_question: [
    'age_limit', 'apple_pay_or_google_pay', 'atm_support', 'automatic_top_up', 'card_about_to_expire', 'card_acceptance',
    'card_linking', 'country_support', 'disposable_card_limits', 'exchange_rate', 'exchange_via_app', 'fiat_currency_support',
    'get_disposable_virtual_card', 'get_physical_card', 'getting_spare_card', 'getting_virtual_card', 'order_physical_card',
    'receiving_money', 'supported_cards_and_currencies', 'top_up_by_cash_or_cheque', 'topping_up_by_card', 'top_up_limits',
    'transfer_into_account', 'visa_or_mastercard',
  ],
};

/** banking77 label → care intent. */
export const BANKING77_TO_CARE: Record<string, CareIntent> = Object.fromEntries(
  Object.entries(GROUPS).flatMap(([care, fine]) => fine.map((f) => [f, care as CareIntent])),
);

/**
 * banking77 intents that report something going wrong (a weak, permissive stand-in
 * for "complaint" training labels; see model card). The rest are information requests.
 */
export const BANKING77_PROBLEM = new Set([
  'card_not_working', 'contactless_not_working', 'virtual_card_not_working', 'card_swallowed', 'declined_card_payment',
  'declined_transfer', 'declined_cash_withdrawal', 'failed_transfer', 'transfer_not_received_by_recipient',
  'balance_not_updated_after_bank_transfer', 'balance_not_updated_after_cheque_or_cash_deposit', 'top_up_failed',
  'top_up_reverted', 'reverted_card_payment?', 'wrong_amount_of_cash_received', 'transaction_charged_twice',
  'extra_charge_on_statement', 'Refund_not_showing_up', 'card_payment_not_recognised', 'cash_withdrawal_not_recognised',
  'direct_debit_payment_not_recognised', 'compromised_card', 'card_arrival', 'unable_to_verify_identity', 'pin_blocked',
  'wrong_exchange_rate_for_cash_withdrawal', 'card_payment_wrong_exchange_rate', 'pending_card_payment', 'pending_transfer',
  'pending_top_up', 'pending_cash_withdrawal', 'card_payment_fee_charged',
]);

/** Human label for a care intent (UI and reasons). */
export const CARE_INTENT_LABELS: Record<CareIntent, string> = {
  billing: 'billing / charges',
  payment_issue: 'payment or transfer problem',
  refund: 'refund',
  delivery: 'delivery / arrival',
  account_access: 'account access / verification',
  account_change: 'account details change',
  cancellation: 'cancellation',
  fraud_security: 'fraud / security',
  technical_issue: 'technical problem',
  outage: 'outage / service down',
  product_question: 'product question',
};
