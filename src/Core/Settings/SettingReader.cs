using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Approvals.Core.Settings;

/// <summary>Reads flat UPPER_SNAKE settings (environment variables, app settings) and collects a problem — naming the
/// setting, never its value — for each one that is present but malformed. Unset settings take their default.</summary>
public sealed class SettingReader(IConfiguration configuration)
{
    readonly List<string> problems = [];

    /// <summary>What was wrong, one sentence per setting.</summary>
    public IReadOnlyList<string> Problems => problems;

    /// <summary>Records a problem found by a cross-setting check.</summary>
    public void Problem(string message) => problems.Add(message);

    /// <summary>The trimmed value, or <c>null</c> when unset or blank.</summary>
    public string? Text(string setting) => configuration[setting] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>; <paramref name="fallback"/> when unset or bad.</summary>
    public int WholeNumber(string setting, int fallback, int min, int max, string unit = "seconds")
    {
        var text = Text(setting);
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            problems.Add($"{setting} must be a whole number of {unit} from {min} to {max}.");
            return fallback;
        }

        return value;
    }

    /// <summary>An absolute URL (https only when <paramref name="httpsOnly"/>), ending in '/' when <paramref name="asDirectory"/>.</summary>
    public Uri? AbsoluteUrl(string setting, Uri? fallback, bool httpsOnly, string example, bool asDirectory = false)
    {
        var text = Text(setting);
        if (text is null)
        {
            return fallback;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || !(uri.Scheme == Uri.UriSchemeHttps || (!httpsOnly && uri.Scheme == Uri.UriSchemeHttp)))
        {
            problems.Add($"{setting} must be an absolute {(httpsOnly ? "https" : "http(s)")} URL, such as {example}.");
            return fallback;
        }

        return asDirectory ? new Uri(uri.ToString().TrimEnd('/') + "/") : uri;
    }
}
