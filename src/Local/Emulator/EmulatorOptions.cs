using System.Text.RegularExpressions;

namespace Approvals.Local.Emulator;

/// <summary>How the local Indent behaves.</summary>
public sealed class EmulatorOptions
{
    public string Space { get; set; } = "local";

    /// <summary>Bearer tokens the API accepts.</summary>
    public List<string> Tokens { get; } = [];

    /// <summary>Secrets webhooks are signed with (the first one signs).</summary>
    public List<string> WebhookSecrets { get; } = [];

    /// <summary>Where webhooks go.</summary>
    public List<Uri> WebhookUrls { get; } = [];

    /// <summary>With a directory, petitions, resources and undelivered webhooks survive a restart (SQLite).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Where a call held by an injected latency drops its marker (<c>indent-held.*</c>), so a crash test can
    /// kill the host while an Indent call is in flight; no markers when null.</summary>
    public string? FaultPointDirectory { get; set; }

    public List<DecisionRule> Rules { get; } = [];

    public int MaxDeliveryAttempts { get; set; } = 10;
    public TimeSpan DeliveryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);
    public TimeSpan DeliveryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>An auto-decision: for resources whose <c>kind:id</c> matches <see cref="Pattern"/> (a glob with <c>*</c>),
/// approve or deny after <see cref="AfterSeconds"/>, or leave it to a human (<c>manual</c>).</summary>
public sealed record DecisionRule(string Pattern, string Decision, double AfterSeconds = 0, string? Duration = null)
{
    public const string Approve = "approve";
    public const string Deny = "deny";
    public const string Manual = "manual";

    public bool Matches(string kindAndId) =>
        Regex.IsMatch(kindAndId, "^" + Regex.Escape(Pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));

    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Pattern) || Pattern.Length > 200)
        {
            return "pattern is required (a glob over kind:id, e.g. action:reset-password:*)";
        }

        if (Decision is not (Approve or Deny or Manual))
        {
            return "decision must be approve, deny or manual";
        }

        if (AfterSeconds is < 0 or > 86_400 || double.IsNaN(AfterSeconds))
        {
            return "afterSeconds must be from 0 to 86400";
        }

        return Duration is null || Core.Indent.GoDuration.TryParse(Duration, out _) ? null : "duration must look like 3h0m0s";
    }

    /// <summary>Parses <c>approve:5</c>, <c>deny</c>, <c>manual</c> optionally prefixed by <c>pattern=</c>.</summary>
    public static DecisionRule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pattern = "*";
        var spec = text;
        var eq = text.LastIndexOf('=');
        if (eq > 0)
        {
            pattern = text[..eq];
            spec = text[(eq + 1)..];
        }

        var parts = spec.Split(':');
        var after = parts.Length > 1 && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var a) ? a : 0;
        var rule = new DecisionRule(pattern, parts[0].ToLowerInvariant(), after);
        return rule.Validate() is { } error ? throw new FormatException($"Bad rule '{text}': {error}.") : rule;
    }
}

/// <summary>Faults to inject into the emulator for reliability tests.</summary>
public sealed record FaultSpec
{
    /// <summary>Fail the next <see cref="Count"/> API calls with this status (500, 503, 429…).</summary>
    public int? Status { get; init; }
    public int Count { get; init; }
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Abort the connection of the next N API calls (a reset).</summary>
    public int ResetConnections { get; init; }

    /// <summary>Added to every API call until changed.</summary>
    public int? LatencyMs { get; init; }

    /// <summary>Only calls whose path contains this (e.g. <c>/claims</c>, <c>/petitions/</c>) are affected.</summary>
    public string? PathContains { get; init; }
    public string? Method { get; init; }

    /// <summary>Pretend to deliver the next N webhooks (never sent).</summary>
    public int DropWebhooks { get; init; }

    /// <summary>Send each of the next N webhooks twice.</summary>
    public int DuplicateWebhooks { get; init; }
}
