using System.Text.RegularExpressions;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests.Reliability;

/// <summary>One request as the host recorded it: method, URL, the suite's label (<c>?reliability=LABEL</c>) and status.</summary>
public sealed record LoggedRequest(string Method, string Url, string? Label, int Status)
{
    public bool IsApi => Url.Contains("/api/", StringComparison.Ordinal);
}

/// <summary>The host's own record of every request it answered: ASP.NET Core's hosting log ("Request finished … -
/// STATUS …"), switched on for the suite's hosts by <see cref="Setting"/>. Counts taken here are the host's, not the
/// suite's: a request the suite believes it sent but the host never answered, or answered otherwise, shows.</summary>
public static partial class RequestLog
{
    /// <summary>The configuration key that turns the hosting log on (the local host keeps Microsoft.* at warnings).</summary>
    public const string Setting = "Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>The query parameter that names a suite's phase in the log; the API ignores it.</summary>
    public static string Label(string label) => "reliability=" + label;

    /// <summary>Adds the hosting log to a suite host's environment.</summary>
    public static Dictionary<string, string> On(Dictionary<string, string>? environment = null) =>
        new(environment ?? []) { [Setting] = "Information" };

    public static IReadOnlyList<LoggedRequest> Read(string hostOutput) =>
        [.. Finished().Matches(hostOutput).Select(m => new LoggedRequest(
            m.Groups["method"].Value,
            m.Groups["url"].Value,
            Labelled().Match(m.Groups["url"].Value) is { Success: true } l ? l.Groups[1].Value : null,
            int.Parse(m.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture)))];

    /// <summary>Waits, bounded, until the host has logged at least <paramref name="expected"/> answers labelled
    /// <paramref name="label"/> (the console log is written behind the responses), then returns its whole record.</summary>
    public static async Task<IReadOnlyList<LoggedRequest>> SettledAsync(HostProcess host, string label, long expected, int seconds = 60)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        var log = Read(host.Output);
        while (log.Count(r => r.Label == label) < expected && DateTime.UtcNow < until)
        {
            await Task.Delay(200);
            log = Read(host.Output);
        }

        return log;
    }

    /// <summary>API answers with a 5xx status, in the host's record.</summary>
    public static int ServerErrors(string hostOutput) => Read(hostOutput).Count(r => r.IsApi && r.Status >= 500);

    // The URL is logged decoded, so a generated id can hold line breaks: the match may span lines, up to the tail
    // "- STATUS LENGTH TYPE TIMEms" that ends every such line.
    [GeneratedRegex(@"Request finished HTTP/\S+ (?<method>[A-Z]+) (?<url>.*?) - (?<status>\d{3}) \S+ \S+ [\d.]+ms", RegexOptions.Singleline | RegexOptions.CultureInvariant)]
    private static partial Regex Finished();

    [GeneratedRegex(@"[?&]reliability=([\w-]+)", RegexOptions.CultureInvariant)]
    private static partial Regex Labelled();
}
