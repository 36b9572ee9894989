using Approvals.Core.Settings;
using Approvals.Core.Workflow;
using Microsoft.Extensions.Configuration;

namespace Approvals.Core.Tests.Settings;

/// <summary>The reconcile interval: one setting, an "every N" NCRONTAB schedule, refused at start otherwise.</summary>
public sealed class ReconcileOptionsTests
{
    static ReconcileOptions Read(string? value) => Approvals.Core.Settings.Settings.Read<ReconcileOptions>(
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [ReconcileOptions.ScheduleSetting] = value }).Build());

    [Theory]
    [InlineData(null, 60)]
    [InlineData("*/2 * * * * *", 2)]
    [InlineData("* * * * * *", 1)]
    [InlineData("0 */5 * * * *", 300)]
    [InlineData("0 * * * * *", 60)]
    public void Schedule_EveryN_GivesTheInterval(string? value, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Read(value).Interval);
    }

    [Theory]
    [InlineData("*/7 * * * * *")]
    [InlineData("0 30 9 * * *")]
    [InlineData("00:01:00")]
    [InlineData("every minute")]
    public void Schedule_AnythingElse_RefusedNamingTheSetting(string value)
    {
        var e = Assert.Throws<SettingsException>(() => Read(value));

        Assert.Contains(ReconcileOptions.ScheduleSetting, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, e.Message, StringComparison.Ordinal);
    }
}
