using Approvals.Core.Settings;

namespace Approvals.Core.Http;

/// <summary>How the API names itself in the links it returns.</summary>
public sealed class ApiOptions : SettingsOptions
{
    public const string PublicBaseUrlSetting = "APPROVALS_PUBLIC_BASE_URL";

    /// <summary>The public root (e.g. <c>https://func-approvals.azurewebsites.net</c>, or a front door); when unset,
    /// forwarded headers or the request decide.</summary>
    public Uri? PublicBaseUrl { get; set; }

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        PublicBaseUrl = reader.AbsoluteUrl(PublicBaseUrlSetting, null, httpsOnly: false, "https://func-approvals.azurewebsites.net");
    }
}
