//! Every checklist item: scandyctl's own (daily, weekly, monthly) and the site's
//! `[[checklists.items]]`, in the order the checklists show them.

use super::model::{Cadence, ItemDef};
use super::settings::ChecklistSettings;

/// scandyctl's own items followed by the site's, for every cadence.
pub fn all_items(settings: &ChecklistSettings) -> Vec<ItemDef> {
    let mut items = super::daily::daily_items();
    items.extend(super::weekly::weekly_items());
    items.extend(super::monthly::monthly_items());
    items.push(super::report_item::report_item());
    items.extend(settings.items.iter().map(|i| i.to_def()));
    items
}

/// The items of one checklist, in order.
pub fn items_of(items: &[ItemDef], cadence: Cadence) -> Vec<ItemDef> {
    items
        .iter()
        .filter(|i| i.cadence == cadence)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_stable_shaped() {
        let items = all_items(&ChecklistSettings::default());
        let mut ids = std::collections::BTreeSet::new();
        for item in &items {
            assert!(ids.insert(item.id.clone()), "duplicate id {}", item.id);
            let parts: Vec<&str> = item.id.split('-').collect();
            assert_eq!(parts.len(), 3, "{}", item.id);
            assert_eq!(parts[0], "SCY", "{}", item.id);
            assert!(parts[2].len() == 3 && parts[2].chars().all(|c| c.is_ascii_digit()));
            assert!(
                !item.title.en.is_empty() && !item.title.de.is_empty(),
                "{}",
                item.id
            );
        }
        for cadence in Cadence::ALL {
            assert!(
                !items_of(&items, cadence).is_empty(),
                "{cadence:?} has no items"
            );
        }
    }
}
