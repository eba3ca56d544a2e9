"""Campaigns (phong trào thi đua)."""
from __future__ import annotations

from web.api import present
from web.api.base import actor, api_blueprint, ctx, run
from web.api.schemas import CampaignCreateSchema, CampaignPageSchema, CampaignSchema, PageArgsSchema
from web.db import db
from workflow.administration import campaigns

blp = api_blueprint("api_campaigns", __name__, "Phong trào, đợt thi đua.")


@blp.route("/campaigns")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, CampaignPageSchema)
def list_campaigns(args):
    """Danh sách phong trào thi đua (của Sở mình; vai trò toàn hệ thống thấy tất cả)"""
    return present.page(campaigns.list_campaigns(db(), actor(), args["page"], args["per_page"]), present.campaign)


@blp.route("/campaigns", methods=["POST"])
@blp.arguments(CampaignCreateSchema)
@blp.response(201, CampaignSchema)
def create_campaign(args):
    """Tạo phong trào thi đua (quản trị hệ thống hoặc Văn phòng Sở)"""
    session, who = db(), actor()
    c = run(lambda: campaigns.create_campaign(session, who, context=ctx(), **args), action="campaign.create",
            object_type="campaign")
    return present.campaign(c)
