"""Which campaign a job without ``campaignId`` goes into."""

from __future__ import annotations

from dataclasses import dataclass

from sellerjobs.promotions.ports import AdsGateway, CampaignCache


class NoCampaign(Exception):
    """The seller has no usable campaign and we may not (or could not) create one."""


@dataclass
class CampaignResolver:
    ads: AdsGateway
    cache: CampaignCache
    auto_create: bool
    name: str
    bid_percentage: str

    def default_for(self, user_id: str) -> str:
        """The seller's RUNNING cost-per-sale campaign, created on first need if allowed.

        Cached (per seller, with a TTL) because every batch of every seller needs it and eBay
        counts the lookup against the same Marketing quota as ad creation.
        """
        cached = self.cache.get(user_id)
        if cached:
            return cached
        campaign_id = self.ads.find_campaign(user_id)
        if campaign_id is None:
            if not self.auto_create:
                raise NoCampaign("no RUNNING COST_PER_SALE campaign on eBay, and creating one is disabled "
                                 "(PROMOTION_CAMPAIGN_AUTO_CREATE=false); pass campaignId or create one")
            campaign_id = self.ads.create_campaign(user_id, self.name, self.bid_percentage)
        self.cache.put(user_id, campaign_id)
        return campaign_id

    def forget(self, user_id: str) -> None:
        self.cache.forget(user_id)
