using System.Diagnostics;

namespace Approvals.Functions.Tests.Support;

/// <summary>Runs a script from infra/scripts against a stand-in <c>az</c> on the PATH that answers from a bash
/// <c>case</c> table and logs every call; no <c>azd</c> is on that PATH, so nothing reaches an azd environment.</summary>
/// <remarks>Every arm sees the call taken apart — <c>$method</c>, <c>$url</c>, <c>$body</c>, <c>$query</c> — and a
/// directory <c>$state</c> that lasts for the test, and may answer as Microsoft Graph refuses with
/// <c>graph_error STATUS REASON CODE MESSAGE</c>.</remarks>
public sealed class FakeAz : IDisposable
{
    // A refusal as `az rest` reports one: Graph's JSON error body, {"error":{"code":…,"message":…}} (Microsoft Graph
    // error responses, https://learn.microsoft.com/graph/errors), after the status's reason phrase — the form
    // `Bad Request({"error":{"code":"InvalidValue",…}})` in microsoftgraph/microsoft-graph-docs#12675 — on stderr, and
    // exit code 1, the Azure CLI's code for a bad status from the server (https://github.com/Azure/azure-cli#exit-codes).
    // The status itself (first argument) is what the test means; az shows only its reason phrase.
    const string Prologue = """
        method="" url="" body="" query=""
        args=("$@")
        for ((i = 1; i < ${#args[@]}; i++)); do
          case "${args[i]}" in
            -m|--method) method="${args[i+1]}" ;;
            -u|--uri|--url) url="${args[i+1]}" ;;
            --body) body="${args[i+1]}" ;;
            --query) query="${args[i+1]}" ;;
          esac
        done
        graph_error() { # STATUS REASON CODE MESSAGE
          printf '%s({"error":{"code":"%s","message":"%s"}})\n' "$2" "$3" "$4" >&2
          exit 1
        }
        """;

    readonly string bin = Directory.CreateTempSubdirectory("fake-az-").FullName;

    public string Log => Path.Combine(bin, "calls.log");

    /// <summary>Where stand-ins keep what a call changed, for the calls after it.</summary>
    public string State => Directory.CreateDirectory(Path.Combine(bin, "state")).FullName;

    /// <summary>Every call's arguments, one per line (multi-line bodies span lines); empty when az was never called.</summary>
    public string Calls => File.Exists(Log) ? File.ReadAllText(Log) : "";

    /// <summary>True when az was called at all.</summary>
    public bool Called => File.Exists(Log);

    /// <summary>Installs az with these <c>case "$*" in</c> arms (an unknown call exits 9); <paramref name="functions"/>
    /// are bash functions the arms call.</summary>
    public void Answer(string caseArms, string functions = "")
    {
        var script = $$"""
            #!/usr/bin/env bash
            printf '%s\n' "$*" >> '{{Log}}'
            state='{{State}}'
            {{Prologue}}
            {{functions}}
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

    /// <summary>Runs infra/scripts/<paramref name="script"/> with this az on the PATH.</summary>
    public (int Exit, string Output, string Error) Run(string script, params string[] args) =>
        Start("bash", [Path.Combine(FunctionsMetadataTestsRoot.Value, "infra", "scripts", script), .. args]);

    /// <summary>Calls the stand-in az itself, as a script would.</summary>
    public (int Exit, string Output, string Error) Az(params string[] args) => Start(Path.Combine(bin, "az"), args);

    (int Exit, string Output, string Error) Start(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = bin + ":/usr/bin:/bin";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the process did not finish");
        return (process.ExitCode, output.Result, error);
    }

    public void Dispose() => Directory.Delete(bin, recursive: true);
}
