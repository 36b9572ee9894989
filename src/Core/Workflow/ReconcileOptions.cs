using System.Globalization;
using System.Text.RegularExpressions;
using Approvals.Core.Settings;

namespace Approvals.Core.Workflow;

/// <summary>How often the access reconciler runs: one setting, <c>APPROVALS_RECONCILE_SCHEDULE</c>, an NCRONTAB
/// expression of the "every N" kind — <c>*/N * * * * *</c> (every N seconds) or <c>0 */N * * * *</c> (every N minutes),
/// N dividing 60. The Functions app's timer trigger reads the same setting
/// (https://learn.microsoft.com/en-us/azure/azure-functions/functions-bindings-timer: a schedule may name an app setting
/// as <c>%NAME%</c>; NCRONTAB because a TimeSpan schedule is for App Service plans only, and this app runs on Flex
/// Consumption); the local host's hosted service runs at the interval it denotes. Anything else is refused at start.</summary>
public sealed partial class ReconcileOptions : SettingsOptions
{
    public const string ScheduleSetting = "APPROVALS_RECONCILE_SCHEDULE";

    /// <summary>Every minute.</summary>
    public const string DefaultSchedule = "0 */1 * * * *";

    public string Schedule { get; private set; } = DefaultSchedule;

    /// <summary>The time between two runs.</summary>
    public TimeSpan Interval { get; private set; } = TimeSpan.FromMinutes(1);

    /// <summary>The interval an "every N" schedule denotes; null for any other expression.</summary>
    public static TimeSpan? IntervalOf(string schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        var match = EveryN().Match(schedule.Trim());
        if (!match.Success)
        {
            return null;
        }

        var seconds = schedule.Trim().StartsWith('*');
        var n = match.Groups[seconds ? "s" : "m"].Value is { Length: > 0 } digits ? int.Parse(digits, CultureInfo.InvariantCulture) : 1;
        return n is >= 1 and <= 60 && 60 % n == 0 ? (seconds ? TimeSpan.FromSeconds(n) : TimeSpan.FromMinutes(n)) : null;
    }

    protected override void Read(SettingReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.Text(ScheduleSetting) is not { } text)
        {
            return;
        }

        if (IntervalOf(text) is { } interval)
        {
            Schedule = text;
            Interval = interval;
        }
        else
        {
            reader.Problem($"{ScheduleSetting} must be an NCRONTAB schedule of the form '*/N * * * * *' (every N seconds) or '0 */N * * * *' (every N minutes), N dividing 60 (e.g. '{DefaultSchedule}').");
        }
    }

    [GeneratedRegex(@"^(?:\*(?:/(?<s>\d{1,2}))? \* \* \* \* \*|0 \*(?:/(?<m>\d{1,2}))? \* \* \* \*)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex EveryN();
}
