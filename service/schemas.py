"""Request and response bodies of the driver-license API, as Huawei documents them.

The route validates the raw body with DriverLicenseRequest itself, so these models also drive /openapi.json.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

_FRONT_EXAMPLE = {
    "number": "362XXXXXXXXXXXXXXXX",
    "name": "张三",
    "sex": "男",
    "nationality": "中国",
    "address": "XX省XX市XX区XX街道XX号",
    "birth": "2000-03-06",
    "issue_date": "2000-03-06",
    "class": "C1",
    "valid_from": "2004-08-26",
    "valid_to": "2034-08-26",
    "issuing_authority": "xxx交通管理局",
}
_BACK_EXAMPLE = {
    "number": "362XXXXXXXXXXXXXXXX",
    "name": "张三",
    "file_number": "88000888XXXX",
    "record": "实习期至2005年08月26日。",
}
# Huawei's own example values break two of the licence's rules, which the extra keys then report.
_FRONT_EXAMPLE = {
    **_FRONT_EXAMPLE,
    "type": "normal",
    "side": "front",
    "confidence": {name: 0.5 if name in ("birth", "issue_date", "valid_from", "valid_to") else 0.99
                   for name in _FRONT_EXAMPLE},
    "warnings": ["issued_under_age", "validity_period_mismatch"],
}  # fmt: skip
_BACK_EXAMPLE = {
    **_BACK_EXAMPLE,
    "type": "normal",
    "side": "back",
    "confidence": dict.fromkeys(_BACK_EXAMPLE, 0.99),
    "warnings": [],
}


class DriverLicenseRequest(BaseModel):
    # strict: Huawei rejects "true" for a Boolean and 123 for a String, and so do we.
    model_config = ConfigDict(
        extra="ignore",
        strict=True,
        json_schema_extra={
            "examples": [
                {"image": "/9j/4AAQSkZJRgABAgEASABIAAD/4RFZRXhpZgAATU0AKgAAAA...", "side": "front",
                 "return_issuing_authority": True},
                {"url": "https://BucketName.obs.xxxx.com/ObjectName", "side": "back"},
            ]
        },
    )

    image: str | None = Field(
        default=None,
        description="Base64 image (JPEG, PNG, BMP, TIFF), at most 10 MB encoded; shortest side >= 100 px, "
        "longest side <= 8000 px. An optional 'data:image/...;base64,' prefix is accepted. Exactly one of "
        "image and url.",
    )
    url: str | None = Field(
        default=None,
        description="http or https URL of the image, downloaded by the service (at most 10 MB, 3 redirects). "
        "Hosts that resolve to loopback, private, link-local, multicast or reserved addresses are refused with "
        "ModelArts.4601 unless DLOCR_URL_ALLOWED_HOSTS names them; a failed download is ModelArts.4603. "
        "Exactly one of image and url.",
    )
    # Huawei treats an empty side like a missing one.
    side: Literal["front", "back", "double_side", ""] | None = Field(
        default=None,
        description="front: main page, back: secondary page, double_side: both pages in one photo (result.front and "
        "result.back). Empty or absent: the page is detected and named in result.side (Huawei assumes front). "
        "A page asked for that is not in the image, while the other is, is AIS.0105 naming the page found.",
    )
    return_issuing_authority: bool | None = Field(
        default=None, description="Return issuing_authority (front page). Must be a JSON boolean; default false."
    )
    return_text_location: bool | None = Field(
        default=None,
        description="Also return result.text_location: for every field read, its 4 corners [[x, y] x 4] "
        "(top-left, top-right, bottom-right, bottom-left) in the original image's pixels. Default false.",
    )

    @model_validator(mode="after")
    def _exactly_one_source(self) -> DriverLicenseRequest:
        if (self.image is None) == (self.url is None):
            raise ValueError("exactly one of image and url must be given")
        return self


# Field name -> its corners in the original image, as Huawei's other OCR APIs return text_location.
TextLocation = dict[str, list[list[float]]]


class PageExtras(BaseModel):
    """Keys Huawei does not return; its SDK ignores unknown keys, so they are safe to add."""

    type: Literal["normal", "electronic"] = Field(
        description="normal: a paper licence; electronic: a screenshot of the 12123 app's electronic licence"
    )
    side: Literal["front", "back"] = Field(description="The page read: the one asked for, or the one detected")
    confidence: dict[str, float] = Field(
        description="Per returned field, the probability (0-1) that its value is right, calibrated on generated "
        "cards: at 0.95 or above a field was right at least 99% of the time (docs/api.md has the table). "
        "0 for a field not read."
    )
    warnings: list[str] = Field(
        description="What the photo or the licence's own rules say is wrong: greyscale_copy, screen_reshoot, "
        "blurred, glare, cut_off, number_check_failed, birth_mismatch, sex_mismatch, issued_under_age, "
        "valid_from_before_issue, validity_period_mismatch, date_in_future, pages_disagree (docs/api.md)"
    )
    text_location: TextLocation | SkipJsonSchema[None] = Field(
        default=None, description="Only with return_text_location=true"
    )


class LicenceFields(PageExtras):
    """What the main page and the electronic licence both show."""

    number: str = Field(description="驾驶证号 licence number")
    name: str = Field(description="姓名 name")
    sex: str = Field(description="性别 sex")
    nationality: str = Field(description="国籍 nationality")
    address: str = Field(description="住址 address")
    birth: str = Field(description="出生日期 date of birth, YYYY-MM-DD")
    issue_date: str = Field(description="初次领证日期 date of first issue, YYYY-MM-DD")
    class_: str = Field(alias="class", description="准驾车型 permitted vehicle class, e.g. C1")
    valid_from: str = Field(description="有效起始日期 start of validity, YYYY-MM-DD")
    valid_to: str = Field(description="有效结束日期 end of validity, YYYY-MM-DD or 长期")


class DriverLicenseFront(LicenceFields):
    """Main page (主页)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FRONT_EXAMPLE]})

    issuing_authority: str | SkipJsonSchema[None] = Field(
        default=None, description="发证机关 issuing authority; only with return_issuing_authority=true"
    )


class DriverLicenseBack(PageExtras):
    """Secondary page (副页)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BACK_EXAMPLE]})

    number: str = Field(description="驾驶证号 licence number")
    name: str = Field(description="姓名 name")
    file_number: str = Field(description="档案编号 file number")
    record: str = Field(description="记录 record")


class DriverLicenseElectronic(LicenceFields):
    """Electronic licence (电子驾驶证), a screenshot of the 交管12123 app: type is electronic."""

    file_number: str = Field(description="档案编号 file number")
    accumulated_scores: str = Field(description="累积记分 penalty points, e.g. 0")
    status: list[str] = Field(description='状态 licence status words, e.g. ["正常"]')
    generation_date: str = Field(description="生成时间 when the app made it: YYYY-MM-DD or YYYY-MM-DD HH:MM:SS")
    current_time: str = Field(description="当前时间 the app's clock in the screenshot, YYYY-MM-DD HH:MM:SS")


class DriverLicenseBothPages(BaseModel):
    """side=double_side: both pages of one photo."""

    front: DriverLicenseFront
    back: DriverLicenseBack


class DriverLicenseResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"result": _FRONT_EXAMPLE},
                {"result": _BACK_EXAMPLE},
                {"result": {"front": _FRONT_EXAMPLE, "back": _BACK_EXAMPLE}},
            ]
        }
    )

    result: DriverLicenseFront | DriverLicenseBack | DriverLicenseElectronic | DriverLicenseBothPages


class ErrorBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"error_code": "AIS.0103", "error_msg": "The image size does not meet the requirements."}]
        }
    )

    error_code: str
    error_msg: str


class HealthBody(BaseModel):
    status: Literal["ok"]


class ReadyBody(BaseModel):
    status: Literal["ready", "loading"]


def request_body_openapi() -> dict[str, Any]:
    """The requestBody entry for a route that reads its JSON body itself (see routes.py)."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": DriverLicenseRequest.model_json_schema()}},
        }
    }
