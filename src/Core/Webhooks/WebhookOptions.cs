using Approvals.Core.Settings;

namespace Approvals.Core.Webhooks;

/// <summary>How the webhook endpoint judges signatures.</summary>
public sealed class WebhookOptions : SettingsOptions
{
    /// <summary>The signature timestamp window, both directions, in seconds (1 to 900; default 300).</summary>
    public int ToleranceSeconds { get; set; } = (int)IndentWebhookVerifier.DefaultTolerance.TotalSeconds;

    public TimeSpan Tolerance => TimeSpan.FromSeconds(ToleranceSeconds);

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ToleranceSeconds = reader.WholeNumber(IndentWebhookVerifier.ToleranceSetting, ToleranceSeconds, 1, 900);
    }
}
