using System.Diagnostics;

namespace Approvals.Functions.Tests.Support;

/// <summary>Runs a script from infra/scripts against a stand-in <c>az</c> on the PATH that answers from a bash
/// <c>case</c> table and logs every call; no <c>azd</c> is on that PATH, so nothing reaches an azd environment.</summary>
public sealed class FakeAz : IDisposable
{
    readonly string bin = Directory.CreateTempSubdirectory("fake-az-").FullName;

    public string Log => Path.Combine(bin, "calls.log");

    /// <summary>Every call's arguments, one per line (multi-line bodies span lines); empty when az was never called.</summary>
    public string Calls => File.Exists(Log) ? File.ReadAllText(Log) : "";

    /// <summary>True when az was called at all.</summary>
    public bool Called => File.Exists(Log);

    /// <summary>Installs az with these <c>case "$*" in</c> arms (an unknown call exits 9).</summary>
    public void Answer(string caseArms)
    {
        var script = $$"""
            #!/usr/bin/env bash
            printf '%s\n' "$*" >> '{{Log}}'
            case "$*" in
            {{caseArms}}
              *) echo "unexpected az call: $*" >&2; exit 9 ;;
            esac
            """;
        var path = Path.Combine(bin, "az");
        File.WriteAllText(path, script.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public (int Exit, string Output, string Error) Run(string script, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(FunctionsMetadataTestsRoot.Value, "infra", "scripts", script));
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = bin + ":/usr/bin:/bin";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the script did not finish");
        return (process.ExitCode, output.Result, error);
    }

    public void Dispose() => Directory.Delete(bin, recursive: true);
}
